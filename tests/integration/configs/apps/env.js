export default {
  fetch(request, env) {
    return Response.json({ env, keys: Object.keys(env) });
  },
};
