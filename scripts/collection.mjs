#!/usr/bin/env node
// `npm run collection`: packs the collection tarball consul_ts-consul-<version>.tar.gz from collection/,
// the very folder a git install (`…#/collection`) installs, so the two cannot differ. `node build.mjs`
// writes that folder (scripts/collection-folder.mjs) and test/build/fresh.test.ts fails when the
// committed one is stale; this script builds it first only when it is missing.
//
//   node scripts/collection.mjs              writes it to build/ (git-ignored)
//   node scripts/collection.mjs --out DIR    writes it to DIR
//
// Prints the tarball's path on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { galaxyMetadata } from './collection-folder.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outIndex = argv.indexOf('--out');
const outDir = resolve(outIndex >= 0 ? argv[outIndex + 1] ?? '' : join(root, 'build'));
const folder = join(root, 'collection');

function die(message) {
  process.stderr.write(`collection: ${message}\n`);
  process.exit(1);
}

const check = spawnSync('sh', ['-c', 'command -v ansible-galaxy'], { stdio: 'ignore' });
if (check.status !== 0) die('ansible-galaxy is not installed (Debian: apt-get install ansible-core)');

if (!existsSync(join(folder, 'galaxy.yml'))) {
  const build = spawnSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) die('node build.mjs failed');
}

const { namespace, name, version } = galaxyMetadata(root);
mkdirSync(outDir, { recursive: true });
const build = spawnSync('ansible-galaxy', ['collection', 'build', '--force', '--output-path', outDir, folder], {
  encoding: 'utf8',
  env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
});
if (build.status !== 0) die(`ansible-galaxy collection build failed:\n${build.stdout}${build.stderr}`);
const tarball = join(outDir, `${namespace}-${name}-${version}.tar.gz`);
if (!existsSync(tarball)) die(`ansible-galaxy did not write ${tarball} (is collection/galaxy.yml stale? run node build.mjs):\n${build.stdout}${build.stderr}`);
process.stdout.write(`${tarball}\n`);
