// An esbuild plugin that keeps axios (its Node http adapter) but removes what it loads at start-up
// and this module never uses. An Ansible module starts once per task per host, so start-up is its
// hot path: measured on Node 20, a naive axios bundle ran at about 2.0× `node -e 0`; with these
// changes the whole module runs a `list` at about 1.4× (see bench/ and README "Performance").
//
// What goes, and why it is safe here:
//   - lib/utils.js probes `typeof globalThis.FormData` at load. In Node 20 that lazy global loads undici,
//     the whole fetch stack (~30 ms). We never send FormData; native FormData is still recognised by its
//     type tag, only the `instanceof` shortcut is lost.
//   - lib/core/dispatchRequest.js reads `performance.now()` for response.duration, which loads
//     perf_hooks; process.hrtime is as monotonic.
//   - the fetch and xhr adapters: the fetch adapter's factory touches fetch/Request/Response at load;
//     the http adapter is first in axios's order and the one we use.
//   - form-data (pulls in mime-db, ~200 KB): replaced by a stub that throws if ever constructed.
//   - follow-redirects (only used when maxRedirects > 0; ours is 0) and https-proxy-agent with its
//     debug/agent-base tree (only used for proxies; ours is proxy: false): stubs that throw if reached,
//     so they are not even parsed.
//   - the builtins http2, https and crypto: loaded on first use instead of at start-up.
// The build fails if a patched text is no longer found, so an axios upgrade cannot silently undo this.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const NAMESPACE = 'axios-slim';

const SOURCE_PATCHES = {
  'lib/utils.js': [["typeof G.FormData !== 'undefined' ? G.FormData : undefined", 'undefined']],
  'lib/core/dispatchRequest.js': [
    [
      "typeof performance !== 'undefined' && utils.isFunction(performance.now)\n    ? () => performance.now()",
      'true\n    ? () => Number(process.hrtime.bigint()) / 1e6',
    ],
  ],
};

/** A module object that requires the real one the first time any property is read. */
const lazyModule = (name) => `let loaded;
const load = () => loaded || (loaded = require(${JSON.stringify(name)}));
export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`;

/** A stand-in for a feature the module never uses; reaching it is a bug, said plainly. */
const unused = (what) => `const unused = () => { throw new Error(${JSON.stringify(`${what} is not bundled in consul_session`)}); };`;

const STUBS = {
  'adapter:fetch': 'export const getFetch = () => false;\nexport default false;\n',
  'adapter:xhr': 'export default false;\n',
  'form-data': `${unused('multipart/form-data')}\nexport default function FormData() { unused(); }`,
  'follow-redirects': `${unused('following redirects')}\nexport default { http: { request: unused, get: unused }, https: { request: unused, get: unused } };`,
  'https-proxy-agent': `${unused('an HTTP(S) proxy')}\nexport default function HttpsProxyAgent() { unused(); }`,
  http2: lazyModule('http2'),
  https: lazyModule('https'),
  crypto: lazyModule('crypto'),
};

export function axiosSlim(root) {
  const axiosDir = dirname(realpathSync(join(root, 'node_modules/axios/package.json')));
  const fromAxios = (importer) => Boolean(importer) && importer.startsWith(axiosDir + sep);
  return {
    name: 'axios-slim',
    setup(build) {
      // Only axios's own imports are redirected; the stubs' require() calls reach the real modules.
      build.onResolve({ filter: /^(form-data|follow-redirects|https-proxy-agent|http2|https|crypto)$/ }, (args) =>
        fromAxios(args.importer) ? { path: args.path, namespace: NAMESPACE } : undefined,
      );
      // Our own client imports node:https at the top for clarity; the bundle defers it the same way.
      build.onResolve({ filter: /^node:https$/ }, (args) =>
        args.importer.startsWith(join(root, 'src') + sep) ? { path: 'https', namespace: NAMESPACE } : undefined,
      );
      build.onResolve({ filter: /^\.\/(fetch|xhr)\.js$/ }, (args) =>
        fromAxios(args.importer) && /[\\/]adapters[\\/]adapters\.js$/.test(args.importer)
          ? { path: `adapter:${args.path.slice(2, -3)}`, namespace: NAMESPACE }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: STUBS[args.path],
        loader: 'js',
        resolveDir: axiosDir,
      }));
      build.onLoad({ filter: /[\\/]axios[\\/]lib[\\/].*\.js$/ }, (args) => {
        const file = relative(axiosDir, args.path).split(sep).join('/');
        const patches = SOURCE_PATCHES[file];
        if (!patches) return undefined;
        let source = readFileSync(args.path, 'utf8');
        for (const [from, to] of patches) {
          if (!source.includes(from)) throw new Error(`axios-slim: axios/${file} no longer contains: ${from}`);
          source = source.split(from).join(to);
        }
        return { contents: source, loader: 'js' };
      });
    },
  };
}
