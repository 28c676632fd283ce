/**
 * The Node.js matrix: the built module under every Node.js major of NODE_MAJORS besides the machine's
 * (whose run is the main pass). mocha stays on the machine's node; only the module's processes change.
 */
import { expect } from 'chai';
import { availableOrSkip, nodeOfMajor, versionOf } from '../support/toolchain';
import { ansibleEnv, missingTool, runCli } from '../support/ansible';
import { MACHINE_NODE_MAJOR, NODE_MAJORS, ONCE_ONLY_NODE, UNDER_EDGE_NODES, UNDER_EVERY_NODE } from './plan';
import { rerun } from './rerun';

for (const major of NODE_MAJORS.filter((m) => m !== MACHINE_NODE_MAJOR)) {
  describe(`under Node.js ${major} (the module's processes; mocha stays on ${process.version})`, function () {
    let node: string;
    const chosenBefore = process.env.TEST_MODULE_NODE;
    let started = 0;

    before(function () {
      started = Date.now();
      this.timeout(180_000); // a first run downloads the binary (about 40 MB)
      node = availableOrSkip(this, `Node.js ${major} (scripts/fetch-node.sh ${major})`, () => nodeOfMajor(major));
      process.env.TEST_MODULE_NODE = node;
    });

    after(function () {
      // CI's time per version, for the README (reported, never asserted).
      console.log(`      [matrix] Node.js ${major}: ${Math.round((Date.now() - started) / 1000)} s`);
      if (chosenBefore === undefined) delete process.env.TEST_MODULE_NODE;
      else process.env.TEST_MODULE_NODE = chosenBefore;
    });

    it(`the binary is Node.js ${major}`, function () {
      const version = versionOf(node);
      expect(version).to.match(new RegExp(`^v${major}\\.\\d+\\.\\d+$`));
      this.test!.title += ` (${version})`;
    });

    it('Ansible runs the module with it (ansible_node_interpreter, as a managed host would)', async function () {
      if (missingTool(['ansible'])) this.skip(); // the playbook tests below say why, or fail in CI
      // Port 1 never answers and retries are off: the module's own error proves it ran, -vvv shows with what.
      const run = await runCli(
        'ansible',
        ['localhost', '-vvv', '-m', 'consul_session', '-a', 'state=list host=127.0.0.1 port=1 retry_timeout=0', '-e', `ansible_node_interpreter=${node}`],
        { env: ansibleEnv() },
      );
      expect(run.code, run.stdout + run.stderr).to.equal(2);
      expect(run.stdout).to.contain(`${node} `).and.match(/AnsiballZ_consul_session\.js/);
      expect(run.stdout).to.contain('no Consul agent answers at 127.0.0.1:1 (connection refused)');
    });

    const edge = major === Math.min(...NODE_MAJORS) || major === Math.max(...NODE_MAJORS);
    rerun(this, edge ? [...UNDER_EVERY_NODE, ...UNDER_EDGE_NODES] : UNDER_EVERY_NODE, ONCE_ONLY_NODE);
  });
}
