/**
 * Over SSH, as users run it: plays/ssh.yml (consul_session and consul_lock) reaches this machine through
 * a throw-away sshd on loopback (test/support/sshd.ts), with Ansible's pipelining on and off, at -vvv,
 * against an agent whose ACLs deny by default (so the token is really used). The token must appear
 * nowhere in the output, and nothing may be left in the remote temp folder. Runs under every
 * ansible-core of the matrix (it is in test/playbook).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { ansibleOrSkip, runPlaybook } from '../support/ansible.js';
import { recap, taskBlock } from '../support/ansible-output.js';
import { sshdOrSkip, startSshd, type Sshd } from '../support/sshd.js';
import { waitFor } from '../support/critical-sections.js';
import { aclConfig } from '../support/acl-agent.js';

const PLAY = resolve(__dirname, 'plays/ssh.yml');
const HOST = 'sshhost';

describe('playbooks over SSH (a real sshd on loopback)', function () {
  this.timeout(240_000);
  const token = randomUUID();
  let agent: Agent | undefined;
  let sshd: Sshd | undefined;

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    sshdOrSkip(this);
    agent = await startDevAgent({
      nodeName: 'ssh-node',
      configJson: aclConfig(token),
    });
    sshd = await startSshd();
  });

  after(async function () {
    await sshd?.stop();
    await agent?.stop();
  });

  /** An inventory of one host reached through our sshd only: no ssh config, agent or known_hosts of the machine. */
  function inventory(remoteTmp: string): string {
    if (!sshd) throw new Error('no sshd');
    const sshArgs = `-F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=${sshd.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes`;
    const vars = [
      'ansible_connection=ssh',
      'ansible_host=127.0.0.1',
      `ansible_port=${sshd.port}`,
      `ansible_user=${sshd.user}`,
      `ansible_ssh_private_key_file=${sshd.keyFile}`,
      // Ansible's multiplexing (ControlPersist) with its sockets here, not under ~/.ansible/cp.
      `ansible_control_path_dir=${sshd.controlDir}`,
      `ansible_ssh_common_args='${sshArgs}'`,
      `ansible_remote_tmp=${remoteTmp}`,
      // ansible-core 2.19 discovers the interpreter for `ping` differently; our module is not Python.
      'ansible_python_interpreter=/usr/bin/python3',
    ];
    const file = join(sshd.dir, 'inventory.ini');
    writeFileSync(file, `${HOST} ${vars.join(' ')}\n`);
    return file;
  }

  for (const pipelining of [true, false]) {
    it(`pipelining ${pipelining ? 'on' : 'off'}: both modules over SSH at -vvv, the token masked, nothing left on the host`, async function () {
      if (!agent || !sshd) throw new Error('no agent or sshd');
      const remoteTmp = join(sshd.dir, `remote-tmp-${String(pipelining)}`);
      const run = await runPlaybook([PLAY], {
        json: false,
        args: ['-vvv', '-i', inventory(remoteTmp), '-e', `consul_port=${agent.httpPort}`, '-e', `ansible_pipelining=${String(pipelining)}`],
        env: { TEST_SECRET_TOKEN: token },
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.code, output.slice(-4000)).to.equal(0);

      // Really over SSH, through our sshd.
      expect(output).to.contain(`ESTABLISH SSH CONNECTION FOR USER: ${sshd.user}`).and.match(/SSH: EXEC ssh /);
      expect(readFileSync(join(sshd.dir, 'sshd.log'), 'utf8')).to.contain(`Accepted publickey for ${sshd.user} from 127.0.0.1`);
      // Pipelining pipes Python modules; a non-Python module like ours is always copied to the host.
      expect(/PUT .* TO .*AnsiballZ_ping\.py/.test(output), 'the Python module was copied').to.equal(!pipelining);
      expect(output).to.match(/PUT .* TO .*AnsiballZ_consul_session\.js/).and.match(/PUT .* TO .*AnsiballZ_consul_lock\.js/);

      expect(taskBlock(output, 'Ensure a session with a token')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Ensure it again')).to.match(new RegExp(`^ok: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Take a lock with it')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Read who holds the lock')).to.match(new RegExp(`^ok: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Release the lock')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Predict its removal in check mode')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Remove it')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Keep it alive in the background on the host')).to.match(new RegExp(`^changed: \\[${HOST}\\]`, 'm'));
      expect(taskBlock(output, 'Read how the keeper ended')).to.match(/"ended": "session_gone"/).and.match(/"renewals": [1-9]/);
      expect(recap(output, HOST)).to.include({ ok: 13, changed: 7, failed: 0, unreachable: 0 });

      expect(output).to.match(/"token": "(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER|\*{8})"/);
      expect(output.toLowerCase()).not.to.contain(token.toLowerCase());
      expect(output).not.to.contain(token.replace(/-/g, ''));
      // Ansible wrote the module and its arguments (the token among them) under remote_tmp, and removed them.
      expect(existsSync(remoteTmp), 'remote_tmp was used').to.equal(true);
      // async_wrapper removes the keeper's folder once it sees its module ended (it looks every 5 s).
      await waitFor('remote_tmp to be emptied', () => Promise.resolve(readdirSync(remoteTmp).length === 0), 10_000);
      expect((await consulHttp(agent, 'GET', '/v1/session/list', undefined, { token })).body).to.deep.equal([]);
    });
  }
});
