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
  assertAscii(name, output.text);
  return output.text;
}

/**
 * One non-ASCII character makes Node decode the whole bundle from UTF-8 into a two-byte string before
 * compiling it, on every run. esbuild escapes such characters in strings but not in regex patterns, so
 * a pattern must spell them as \uXXXX (duration.ts writes µ as \u00b5); this fails the build otherwise.
 */
function assertAscii(name, text) {
  const at = text.search(/[^\t\n\r\x20-\x7e]/);
  if (at < 0) return;
  const line = text.slice(0, at).split('\n').length;
  const context = JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));
  throw new Error(`${name}: the bundle has a non-ASCII character at line ${line}, near ${context}; write it as \\u${text.charCodeAt(at).toString(16).padStart(4, '0')} in its source`);
}
