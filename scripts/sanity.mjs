#!/usr/bin/env node
// `npm run sanity [-- --ansible-core 2.14|2.19]`: `ansible-test sanity` on the collection exactly as it
// ships — the tarball of scripts/collection.mjs, unpacked into a temporary
// …/ansible_collections/<namespace>/<name>/ — under each ansible-core given (default: 2.14 and 2.19; the
// system's, or Debian trixie's from scripts/fetch-ansible.sh). Exits 0 when every test that can run here
// passes, 1 when one fails, 2 when something this machine lacks (that ansible-core, a Debian package)
// keeps it from running.
//
// No Python package index is reachable here. ansible-test runs each test that needs Python packages in a
// virtual environment it fills with pip from the index, so it cannot create one. For the tests whose
// packages Debian has (DEBIAN_PACKAGES), this script makes that environment itself where ansible-test
// looks for it, under a private HOME (.cache/sanity-home, so the user's own ~/.ansible is untouched): a
// venv of Debian's python that sees Debian's packages. The tests that still cannot run are CANNOT_RUN.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The ansible-cores the collection is tested under (test/matrix/plan.ts's ANSIBLE_CORES). */
const ANSIBLE_CORES = ['2.14', '2.19'];
/** The python ansible-test runs on (its controller): Debian's, the one Debian's packages are for. */
const PYTHON = '/usr/bin/python3';

/** Tests that cannot run on this machine, per ansible-core, and why (README "Sanity" says the same). */
export const CANNOT_RUN = {
  '2.14': {},
  '2.19': {
    'validate-modules':
      'imports antsibull-docs-parser, which neither Debian bookworm nor trixie packages, and no Python package index is reachable',
  },
};

/** What the tests that need a virtual environment import, and the Debian packages that bring it. */
export const DEBIAN_PACKAGES = {
  'runtime-metadata': { modules: ['yaml', 'voluptuous'], packages: ['python3-yaml', 'python3-voluptuous'] },
  'validate-modules': { modules: ['yaml', 'voluptuous', 'jinja2'], packages: ['python3-yaml', 'python3-voluptuous', 'python3-jinja2'] },
  yamllint: { modules: ['yaml', 'yamllint'], packages: ['python3-yaml', 'yamllint'] },
};

const MISSING = 2;
/** Ends the run with `code` (thrown, so the temporary collection is still removed). */
class Stop extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
function stop(code, message) {
  throw new Stop(code, message);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** The folder of ansible-core VERSION's CLIs, from scripts/fetch-ansible.sh (which logs to stderr). */
function ansibleBin(version) {
  const fetch = run('bash', [join(root, 'scripts/fetch-ansible.sh'), version], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = fetch.stdout.trim().split('\n').pop() ?? '';
  if (fetch.status !== 0 || !existsSync(join(bin, 'ansible-test'))) stop(MISSING, `ansible-core ${version}'s ansible-test is unavailable (scripts/fetch-ansible.sh ${version})`);
  return bin;
}

/** Builds the tarball and unpacks it where ansible-test wants a collection; returns that folder. */
function unpackCollection(work) {
  const build = run(process.execPath, [join(root, 'scripts/collection.mjs'), '--out', work], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (build.status !== 0) stop(1, 'npm run collection failed');
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  if (run('tar', ['-xzf', build.stdout.trim(), '-C', unpacked]).status !== 0) stop(1, `cannot unpack ${build.stdout.trim()}`);
  const { namespace, name } = JSON.parse(readFileSync(join(unpacked, 'MANIFEST.json'), 'utf8')).collection_info;
  const collection = join(work, 'ansible_collections', namespace, name);
  mkdirSync(dirname(collection), { recursive: true });
  renameSync(unpacked, collection);
  return collection;
}

/**
 * ansible-test found no pip in the virtual environment it made for `test` at `venv`: replaces it with
 * one of Debian's python that sees Debian's packages, marked as ansible-test marks a finished one.
 */
function seedVenv(test, venv, pythonVersion) {
  const needs = DEBIAN_PACKAGES[test];
  if (!needs) stop(1, `sanity test "${test}" needs Python packages from a package index: add it to CANNOT_RUN in scripts/sanity.mjs, with the reason`);
  const python = `/usr/bin/python${pythonVersion}`;
  if (run(python, ['-c', `import ${needs.modules.join(', ')}`]).status !== 0) {
    stop(MISSING, `sanity test "${test}" needs Debian's ${needs.packages.join(', ')} (apt-get install ${needs.packages.join(' ')})`);
  }
  rmSync(venv, { recursive: true, force: true });
  const create = run(python, ['-m', 'venv', '--system-site-packages', '--without-pip', venv]);
  if (create.status !== 0) stop(MISSING, `cannot create a virtual environment with ${python} (apt-get install python3-venv):\n${create.stderr}`);
  const libyaml = run(python, ['-c', 'import yaml; print(str(yaml.__with_libyaml__).lower())']).stdout.trim();
  writeFileSync(join(venv, 'meta.yaml.json'), libyaml === 'true' ? 'true' : 'false');
  writeFileSync(join(venv, 'marker.txt'), '');
}

/** What each test did, from ansible-test's output: 'pass', 'fail' or 'n/a' (nothing of its kind to test). */
function outcomes(output, failed) {
  const result = {};
  const lines = output.split('\n');
  lines.forEach((line, index) => {
    const started = /^Running sanity test "([^"]+)"/.exec(line);
    if (!started) return;
    const test = started[1];
    result[test] = failed.includes(test) ? 'fail' : lines[index + 1]?.startsWith('No tests applicable') ? 'n/a' : 'pass';
  });
  return result;
}

function sanity(version) {
  const started = Date.now();
  const bin = ansibleBin(version);
  const pythonVersion = run(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).stdout.trim();
  const work = mkdtempSync(join(tmpdir(), 'consul-sanity-'));
  try {
    const collection = unpackCollection(work);
    const home = join(root, '.cache/sanity-home');
    mkdirSync(home, { recursive: true });
    const cannotRun = CANNOT_RUN[version] ?? {};
    const args = ['sanity', '-v', '--python', pythonVersion, '--color', 'no', ...Object.keys(cannotRun).flatMap((test) => ['--skip-test', test])];
    // The caller's ANSIBLE_* (an ansible.cfg, a collections path) must not change what is tested.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANSIBLE_')));
    env.HOME = home;
    let attempt;
    for (let seeded = 0; ; seeded++) {
      attempt = run(join(bin, 'ansible-test'), args, { cwd: collection, env });
      const output = attempt.stdout + attempt.stderr;
      const noPip = /at "(.+\/venv\/sanity\.([^/]+)\/[^"]+)\/bin\/python" does not have pip available/.exec(output);
      if (!noPip) break;
      if (seeded > Object.keys(DEBIAN_PACKAGES).length) stop(1, `ansible-test keeps asking for pip:\n${output}`);
      seedVenv(noPip[2], noPip[1], pythonVersion);
    }
    const output = attempt.stdout + attempt.stderr;
    const failedBlock = /sanity test\(s\) listed below \(out of \d+\) failed[^\n]*\n([\s\S]*)$/.exec(output);
    // Listed one a line, a multi-version test with its python: `compile --python 3.11`.
    const failed = (failedBlock?.[1] ?? '').split('\n').flatMap((line) => /^([a-z0-9-]+)(?: --python [\d.]+)?$/.exec(line.trim())?.[1] ?? []);
    const result = outcomes(output, failed);
    const unexpectedSkip = /^.*Skipping sanity test.*$/m.exec(output);
    const seconds = Math.round((Date.now() - started) / 1000);
    const ansibleTestVersion = run(join(bin, 'ansible-test'), ['--version']).stdout.trim();
    const report = [`sanity: ${ansibleTestVersion} on the built collection, ${seconds} s`];
    for (const [test, outcome] of Object.entries(result)) report.push(`  ${outcome.padEnd(8)} ${test}`);
    for (const [test, reason] of Object.entries(cannotRun)) report.push(`  ${'not run'.padEnd(8)} ${test}: ${reason}`);
    process.stdout.write(`${report.join('\n')}\n`);
    if (unexpectedSkip?.[0].includes('virtual environment support')) stop(MISSING, `${unexpectedSkip[0]} (apt-get install python3-venv)`);
    if (unexpectedSkip) stop(1, `ansible-test skipped a test this script expects to run: ${unexpectedSkip[0]}`);
    if (attempt.status !== 0) {
      process.stderr.write(output);
      stop(1, `ansible-core ${version}: ${failed.length ? failed.join(', ') : 'ansible-test'} failed`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  const argv = process.argv.slice(2);
  const chosen = argv.flatMap((arg, index) => (argv[index - 1] === '--ansible-core' ? [arg] : []));
  const unknown = chosen.filter((version) => !ANSIBLE_CORES.includes(version));
  if (unknown.length || (argv.length && !chosen.length)) stop(1, `usage: npm run sanity [-- --ansible-core ${ANSIBLE_CORES.join('|')}]`);
  for (const version of chosen.length ? chosen : ANSIBLE_CORES) sanity(version);
} catch (err) {
  if (!(err instanceof Stop)) throw err;
  process.stderr.write(`sanity: ${err.message}\n`);
  process.exitCode = err.code;
}
