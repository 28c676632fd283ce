/**
 * The example plays are what users copy: every YAML file in playbooks/ passes ansible-lint (Debian's
 * package) with the strictest profile, `production`. It runs from playbooks/, whose collections/ folder
 * (beside the plays) makes our modules' FQCNs resolvable (without it, lint fails every task with
 * syntax-check[specific]).
 */
import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PLAYBOOKS_DIR, ansibleEnv, ansibleOrSkip, runCli } from '../support/ansible.js';

/**
 * Every .yml/.yaml file under playbooks/, relative to it, but not collections/: that is the symlink to the
 * generated collection/ (module sidecars, galaxy.yml), which the plays resolve their FQCNs through.
 */
function yamlFiles(dir = PLAYBOOKS_DIR): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      if (dir === PLAYBOOKS_DIR && entry === 'collections') return [];
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry) ? [relative(PLAYBOOKS_DIR, path)] : [];
    })
    .sort();
}

describe('ansible-lint --profile production over playbooks/', function () {
  this.timeout(180_000);

  before(function () {
    ansibleOrSkip(this, ['ansible-lint']);
  });

  it('passes on every YAML file, with no warning', async function () {
    const files = yamlFiles();
    expect(files).to.include('demo.yml');
    // Files are named one by one: its own discovery (git ls-files) found 1 file of 8 from this worktree.
    const run = await runCli('ansible-lint', ['--offline', '--profile', 'production', '--nocolor', ...files], { env: ansibleEnv() });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).to.equal(0);
    expect(output).to.contain(`Passed with production profile: 0 failure(s), 0 warning(s) on ${files.length} files.`);
  });
});
