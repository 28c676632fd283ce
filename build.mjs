#!/usr/bin/env node
// Builds every module (scripts/module-doc.mjs: MODULES) from its one parameter table
// (src/<module>/<module>.yml, plus the shared fragments it extends, src/shared/<fragment>.yml):
//   1. schema/<module>.schema.json         – JSON Schema of the parameters (after Ansible-style conversion)
//   2. src/<module>/generated/spec.ts      – TypeScript types + the conversion table, from the same YAML
//   3. src/<module>/generated/validate.js  – ajv standalone validator, so nothing is compiled at start-up
//      and README.md's parameter tables (one per module, one per fragment), and for each shared fragment
//      src/shared/generated/<fragment>.ts, the TypeScript type of its options (e.g. ConnectionParams)
//   4. dist/<module>.js + dist/<module>.yml – one esbuild bundle with shebang, WANT_JSON and its run bit,
//      and its ansible-doc sidecar (the merged table)
//   5. collection/ – the Ansible collection users install from git (scripts/collection-folder.mjs), from
//      src/collection/, CHANGELOG.md and step 4's dist/
//
//   node build.mjs                  everything
//   node build.mjs --schema-only    steps 1–3 (npm run schema)
//   node build.mjs --out DIR        write every output under DIR instead of the project (freshness tests)
//   node build.mjs --unminified     bundle without minifying, for readable `node --cpu-prof` profiles
//                                   (use it with --out: the committed dist/ is always the minified one)
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSchema } from './scripts/schema-gen.mjs';
import { generateFragmentTypes, generateSpecModule, generateValidatorModule } from './scripts/codegen.mjs';
import { bundle } from './scripts/bundle.mjs';
import { withParameterTable } from './scripts/readme-table.mjs';
import { writeCollectionFolder } from './scripts/collection-folder.mjs';
import { FRAGMENTS, MODULES, fragmentsOf, loadFragment, loadModuleDoc, modulePaths, sidecarText } from './scripts/module-doc.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const schemaOnly = argv.includes('--schema-only');
const outIndex = argv.indexOf('--out');
const outRoot = outIndex >= 0 ? argv[outIndex + 1] : root;
if (!outRoot) throw new Error('--out needs a directory');
const minify = !argv.includes('--unminified');

function write(relPath, text, mode) {
  const target = join(outRoot, relPath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  if (mode) chmodSync(target, mode);
}

let readme = readFileSync(join(root, 'README.md'), 'utf8');
for (const fragment of FRAGMENTS) {
  const doc = loadFragment(root, fragment);
  readme = withParameterTable(readme, fragment, doc);
  write(`src/shared/generated/${fragment}.ts`, generateFragmentTypes(fragment, doc));
}

for (const name of MODULES) {
  const paths = modulePaths(name);
  const doc = loadModuleDoc(root, name);
  const schema = generateSchema(doc);
  write(paths.schema, JSON.stringify(schema, null, 2) + '\n');
  const own = loadModuleDoc(root, name, { fragments: false });
  write(`${paths.generated}/spec.ts`, generateSpecModule(doc, { fragments: fragmentsOf(root, name), ownOptions: own.DOCUMENTATION.options }));
  const validator = generateValidatorModule(schema, name);
  write(`${paths.generated}/validate.js`, validator.code);
  write(`${paths.generated}/validate.d.ts`, validator.declaration);
  // The README lists a module's own options; the shared ones have their own table.
  readme = withParameterTable(readme, name, own);
  if (!schemaOnly) {
    write(paths.bundle, await bundle(root, name, { minify }), 0o755);
    write(paths.sidecar, sidecarText(name, doc));
  }
}
write('README.md', readme);
if (!schemaOnly) writeCollectionFolder(root, join(outRoot, 'dist'), join(outRoot, 'collection'));
