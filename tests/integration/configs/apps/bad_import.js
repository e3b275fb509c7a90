export default { fetch() { return new Response("x"); } };  import "./missing.js";
