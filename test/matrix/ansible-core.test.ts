/**
 * The ansible-core matrix: the playbook suite under every ansible-core of ANSIBLE_CORES besides the
 * system's (whose run is the main pass); 2.19 is Debian trixie's package (scripts/fetch-ansible.sh).
 */
import { expect } from 'chai';
import { ansibleCoreBin, ansibleTool, availableOrSkip, versionOf } from '../support/toolchain';
import { ANSIBLE_CORES, ONCE_ONLY_ANSIBLE_CORE, UNDER_EVERY_ANSIBLE_CORE, systemAnsibleCore } from './plan';
import { rerun } from './rerun';

const system = systemAnsibleCore();

for (const version of ANSIBLE_CORES.filter((v) => v !== system)) {
  describe(`under ansible-core ${version}`, function () {
    let bin: string;
    const chosenBefore = process.env.TEST_ANSIBLE_BIN;
    let started = 0;

    before(function () {
      started = Date.now();
      this.timeout(180_000); // a first run downloads the package (with apt's lists, about 11 MB)
      bin = availableOrSkip(this, `ansible-core ${version} (scripts/fetch-ansible.sh ${version})`, () => ansibleCoreBin(version));
      process.env.TEST_ANSIBLE_BIN = bin;
    });

    after(function () {
      // CI's time per version, for the README (reported, never asserted).
      console.log(`      [matrix] ansible-core ${version}: ${Math.round((Date.now() - started) / 1000)} s`);
      if (chosenBefore === undefined) delete process.env.TEST_ANSIBLE_BIN;
      else process.env.TEST_ANSIBLE_BIN = chosenBefore;
    });

    it(`ansible-playbook is ansible-core ${version}`, function () {
      const first = versionOf(ansibleTool('ansible-playbook'));
      expect(first).to.match(new RegExp(`\\[core ${version.replace('.', '\\.')}\\.\\d+\\]$`));
      this.test!.title += ` (${first})`;
    });

    rerun(this, UNDER_EVERY_ANSIBLE_CORE, ONCE_ONLY_ANSIBLE_CORE);
  });
}
