#!/usr/bin/env node
// `npm run release`: checks that this commit can be released as package.json's version, builds its
// tarball, and prints the git commands that tag and publish it. It never tags or pushes by itself.
//
//   1. the working tree is clean (what is tagged is what was checked)
//   2. CHANGELOG.md's top entry is `## <version>`, and no tag v<version> exists yet
//   3. `node build.mjs` changes nothing: dist/ and collection/ are what the sources produce
//   4. `npm run collection` writes build/consul_ts-consul-<version>.tar.gz from collection/
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { galaxyMetadata } from './collection-folder.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args) {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function die(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

/** The version of CHANGELOG.md's first `## x.y.z` heading (test/build/version.test.ts reads it the same way). */
function changelogVersion(text) {
  return /^## (\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];
}

function uncommitted() {
  return run('git', ['status', '--porcelain']).stdout.trim();
}

if (uncommitted()) die(`the working tree has uncommitted changes; commit or stash them first:\n${uncommitted()}`);
const { namespace, name, version } = galaxyMetadata(root);
const top = changelogVersion(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'));
if (top !== version) die(`CHANGELOG.md's top entry is ${top ?? 'missing'}, package.json says ${version}: add a "## ${version}" entry saying what changed for users`);
const tag = `v${version}`;
if (run('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}`]).status === 0) die(`tag ${tag} exists already: raise the version in package.json (and CHANGELOG.md)`);

if (run(process.execPath, ['build.mjs']).status !== 0) die('node build.mjs failed');
if (uncommitted()) die(`node build.mjs changed committed files (stale dist/ or collection/); commit them first:\n${uncommitted()}`);
const pack = run(process.execPath, ['scripts/collection.mjs']);
if (pack.status !== 0) die('npm run collection failed');
const tarball = pack.stdout.trim();
if (!tarball.endsWith(`/${namespace}-${name}-${version}.tar.gz`)) die(`unexpected tarball ${tarball}`);

process.stdout.write(
  [
    `release: ${namespace}.${name} ${version} is ready: ${tarball}`,
    'Tag it and publish the tag (git installs name it as the ref: …#/collection,' + tag + '):',
    `  git tag -a ${tag} -m "${namespace}.${name} ${version}"`,
    `  git push origin ${tag}`,
    '',
  ].join('\n'),
);
