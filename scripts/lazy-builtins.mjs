// An esbuild plugin that turns imports of some Node builtins into modules that load the real one the
// first time a property is read. A module starts once per task, and loading node:http (with net and
// streams) or node:https (with tls and crypto) costs milliseconds that a run which fails validation,
// or talks plain http, does not need. Only the default import is offered: write `import http from
// 'node:http'` and use `http.request`, so every use goes through the proxy.

/** The source of a module whose default export requires `name` at the first property read. */
export const lazyModule = (name) => `let loaded;
const load = () => loaded || (loaded = require(${JSON.stringify(name)}));
export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`;

const NAMESPACE = 'lazy-builtin';

/** `builtins` are specifiers as written in the source, e.g. 'node:http'; `importers` says whose imports count. */
export function lazyBuiltins(builtins, importers) {
  const filter = new RegExp(`^(${builtins.map((b) => b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => (importers(args.importer) ? { path: args.path, namespace: NAMESPACE } : undefined));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: lazyModule(args.path), loader: 'js' }));
    },
  };
}
