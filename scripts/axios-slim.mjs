// An esbuild plugin that keeps axios's core (config, headers, transforms, interceptors, errors) but
// removes what it loads at start-up and this module never uses. An Ansible module starts once per
// task per host, so start-up is its hot path (see bench/ and README "Performance").
//
// What goes, and why it is safe here:
//   - all three of axios's adapters (http, fetch, xhr). The client gives axios its own adapter
//     (src/http-adapter.ts, through axios's documented `adapter` option); axios's http adapter alone
//     brought zlib, streams, http2, proxy and redirect support (follow-redirects, proxy-from-env) and
//     the form-data encoder, all loaded and compiled at the first request. Calling axios without an
//     adapter of one's own now fails with axios's "There is no suitable adapter".
//   - lib/utils.js probes `typeof globalThis.FormData` at load. In Node 20 that lazy global loads undici,
//     the whole fetch stack (~30 ms). We never send FormData; native FormData is still recognised by its
//     type tag, only the `instanceof` shortcut is lost.
//   - lib/core/dispatchRequest.js reads `performance.now()` for response.duration, which loads
//     perf_hooks; process.hrtime is as monotonic.
//   - form-data (pulls in mime-db, ~200 KB; still imported by axios's toFormData): a stub that throws if
//     ever constructed.
//   - the builtin crypto (axios's platform imports it for multipart boundaries): loaded on first use.
// The build fails if a patched text is no longer found, so an axios upgrade cannot silently undo this.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { lazyModule } from './lazy-builtins.mjs';

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

/** A stand-in for a feature the module never uses; reaching it is a bug, said plainly. */
const unused = (what) => `const unused = () => { throw new Error(${JSON.stringify(`${what} is not bundled in consul_session`)}); };`;

const STUBS = {
  'adapter:http': 'export default false;\n',
  'adapter:fetch': 'export const getFetch = () => false;\nexport default false;\n',
  'adapter:xhr': 'export default false;\n',
  'form-data': `${unused('multipart/form-data')}\nexport default function FormData() { unused(); }`,
  crypto: lazyModule('crypto'),
};

export function axiosSlim(root) {
  const axiosDir = dirname(realpathSync(join(root, 'node_modules/axios/package.json')));
  const fromAxios = (importer) => Boolean(importer) && importer.startsWith(axiosDir + sep);
  return {
    name: 'axios-slim',
    setup(build) {
      // Only axios's own imports are redirected; the stubs' require() calls reach the real modules.
      build.onResolve({ filter: /^(form-data|crypto)$/ }, (args) =>
        fromAxios(args.importer) ? { path: args.path, namespace: NAMESPACE } : undefined,
      );
      build.onResolve({ filter: /^\.\/(http|fetch|xhr)\.js$/ }, (args) =>
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
