// esbuild: src/<module>/main.ts → one self-contained CommonJS file that Ansible can copy to a host and run.
import { build } from 'esbuild';
import { join, sep } from 'node:path';
import { axiosSlim } from './axios-slim.mjs';
import { lazyBuiltins } from './lazy-builtins.mjs';

// Ansible reads the interpreter from the shebang (and rewrites it with ansible_node_interpreter), and
// passes the arguments as a JSON file in argv[2] only to modules that contain the text WANT_JSON.
const banner = (name) => `#!/usr/bin/node
// WANT_JSON
// ${name}: an Ansible module for Consul. Built from TypeScript (src/${name}/) by build.mjs; see README.md.`;

export async function bundle(root, name, { minify = true } = {}) {
  const result = await build({
    entryPoints: [join(root, 'src', name, 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    minify,
    legalComments: 'none',
    banner: { js: banner(name) },
    plugins: [
      axiosSlim(root),
      // Only the HTTP client needs these, and only once it sends its first request.
      lazyBuiltins(['node:http', 'node:https'], (importer) => importer.startsWith(join(root, 'src') + sep)),
    ],
    write: false,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}
