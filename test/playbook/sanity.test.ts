/**
 * `ansible-test sanity` on the built collection (scripts/sanity.mjs), under the ansible-core under test:
 * the system's in the main pass, every other one in the matrix (test/matrix/ansible-core.test.ts reruns
 * test/playbook/), so it runs once per ansible-core and never per Node.js version. The only ignores are
 * what cannot apply to a Node.js module (src/collection/tests/sanity/ignore-<version>.txt).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MODULES from '../../src/modules.json';
import { REPO_ROOT, ansibleOrSkip } from '../support/ansible.js';
import { ansibleTool, versionOf } from '../support/toolchain.js';
import { ANSIBLE_CORES } from '../matrix/plan.js';

/** scripts/sanity.mjs's exit code when this machine lacks what a test needs (an ansible-core, a Debian package). */
const MISSING = 2;

/** Tests with something to check in this collection, which must run and pass under every ansible-core. */
const MUST_PASS = ['ignores', 'line-endings', 'no-illegal-filenames', 'no-smart-quotes', 'runtime-metadata', 'shebang', 'symlinks', 'yamllint'];

/** The ignores each ansible-core needs for a Node.js module and its ansible-doc sidecar, and nothing else. */
function expectedIgnores(version: string): string[] {
  return MODULES.flatMap((module) => [
    `plugins/modules/${module}.js shebang`,
    `plugins/modules/${module}.js validate-modules:invalid-extension`,
    // 2.14 parses every module that is not .ps1 as Python; 2.19 checks a .js module for the GPL header instead.
    version === '2.14'
      ? `plugins/modules/${module}.js validate-modules:python-syntax-error`
      : `plugins/modules/${module}.js validate-modules:missing-gplv3-license`,
    `plugins/modules/${module}.yml validate-modules:missing-gplv3-license`,
  ]);
}

describe('ansible-test sanity on the built collection (npm run sanity)', function () {
  this.timeout(240_000);
  let version: string;

  before(function () {
    ansibleOrSkip(this, ['ansible-test', 'ansible-galaxy']);
    version = /\[core (\d+\.\d+)\./.exec(versionOf(ansibleTool('ansible-playbook')))?.[1] ?? 'unknown';
  });

  it('passes every test that can run here; the rest are named with the reason', function () {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/sanity.mjs'), '--ansible-core', version], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (run.status === MISSING) {
      const how = run.stderr.trim().split('\n').pop();
      if (process.env.CI === 'true') throw new Error(`${how} — it is required in CI (CI=true)`);
      console.warn(`[sanity] skipping: ${how}`);
      this.skip();
    }
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    // The report: `  pass     yamllint`, `  n/a      pylint` (nothing of its kind here), `  not run  x: why`.
    const outcome = (test: string) => new RegExp(`^ {2}(\\S+(?: run)?) +${test}(?::|$)`, 'm').exec(run.stdout)?.[1];
    for (const test of MUST_PASS) expect(outcome(test), `${test}\n${run.stdout}`).to.equal('pass');
    expect(outcome('validate-modules'), run.stdout).to.equal(version === '2.14' ? 'pass' : 'not run');
    expect(run.stdout).to.not.match(/^ {2}fail /m);
    // What ansible-test took, and how long it ran, for the README (reported, never asserted).
    console.log(`      [sanity] ${run.stdout.split('\n')[0]}`);
  });

  for (const ignoreVersion of ANSIBLE_CORES) {
    it(`ignore-${ignoreVersion}.txt ignores only what cannot apply to a Node.js module, each with its reason`, function () {
      const text = readFileSync(join(REPO_ROOT, `src/collection/tests/sanity/ignore-${ignoreVersion}.txt`), 'utf8');
      const lines = text.trimEnd().split('\n');
      for (const line of lines) expect(line, 'an ignore with a reason after "  # "').to.match(/^\S+ \S+ {2}# \S.{20,}$/);
      expect(lines.map((line) => line.split('  # ')[0]).sort()).to.deep.equal(expectedIgnores(ignoreVersion).sort());
    });
  }
});
