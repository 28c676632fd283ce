#!/usr/bin/env node
// Builds the module from the one parameter table (src/consul_session/consul_session.yml):
//   1. schema/consul_session.schema.json  – JSON Schema of the parameters (after Ansible-style conversion)
//   2. src/consul_session/generated/spec.ts              – TypeScript types + the conversion table, from the same YAML
//   3. src/consul_session/generated/validate.js          – ajv standalone validator, so nothing is compiled at start-up
//      and README.md's parameter table
//   4. dist/consul_session.js (+ .yml)    – one esbuild bundle with shebang, WANT_JSON and its run bit
//
//   node build.mjs                  everything
//   node build.mjs --schema-only    steps 1–3 (npm run schema)
//   node build.mjs --out DIR        write every output under DIR instead of the project (freshness tests)
import { mkdirSync, readFileSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { generateSchema } from './scripts/schema-gen.mjs';
import { generateSpecModule, generateValidatorModule } from './scripts/codegen.mjs';
import { bundle } from './scripts/bundle.mjs';
import { withParameterTable } from './scripts/readme-table.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const schemaOnly = argv.includes('--schema-only');
const outIndex = argv.indexOf('--out');
const outRoot = outIndex >= 0 ? argv[outIndex + 1] : root;
if (!outRoot) throw new Error('--out needs a directory');

function write(relPath, text, mode) {
  const target = join(outRoot, relPath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  if (mode) chmodSync(target, mode);
}

const docPath = join(root, 'src/consul_session/consul_session.yml');
const doc = parseYaml(readFileSync(docPath, 'utf8'));
const schema = generateSchema(doc);

write('schema/consul_session.schema.json', JSON.stringify(schema, null, 2) + '\n');
write('src/consul_session/generated/spec.ts', generateSpecModule(doc, schema));
const validator = generateValidatorModule(schema);
write('src/consul_session/generated/validate.js', validator.code);
write('src/consul_session/generated/validate.d.ts', validator.declaration);
write('README.md', withParameterTable(readFileSync(join(root, 'README.md'), 'utf8'), doc));

if (!schemaOnly) {
  const code = await bundle(root);
  write('dist/consul_session.js', code, 0o755);
  mkdirSync(join(outRoot, 'dist'), { recursive: true });
  copyFileSync(docPath, join(outRoot, 'dist/consul_session.yml'));
}
