// Preload for the reference program (pi-coding-agent 1.6) in compatibility tests: sends its
// calls to the fake servers. PI_REF_REWRITE is a JSON object of URL prefix → replacement.
// The program installs its own fetch after start-up, so every later assignment is wrapped too.
const rewrites = Object.entries(JSON.parse(process.env.PI_REF_REWRITE || "{}"));
const rewrite = (url) => {
  for (const [from, to] of rewrites) if (url.startsWith(from)) return to + url.slice(from.length);
  return url;
};
const wrap = (inner) => (input, init) => {
  if (typeof input === "string" || input instanceof URL) return inner(rewrite(String(input)), init);
  const to = rewrite(input.url);
  return inner(to === input.url ? input : new Request(to, input), init);
};
let wrapped = wrap(globalThis.fetch);
Object.defineProperty(globalThis, "fetch", {
  configurable: true,
  enumerable: true,
  get: () => wrapped,
  set: (next) => {
    wrapped = wrap(next);
  },
});
