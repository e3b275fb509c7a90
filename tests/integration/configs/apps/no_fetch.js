export default { notFetch() {} };
