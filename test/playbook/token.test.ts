/**
 * The token never reaches ansible-playbook's output, even at -vvv: tasks with `token:` run against an
 * agent whose ACLs deny by default (so the token is really used), with the default callback.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { ansibleOrSkip, runPlaybook } from '../support/ansible.js';
import { taskBlock } from '../support/ansible-output.js';
import { aclConfig } from '../support/acl-agent.js';

describe('playbooks: the token at -vvv', function () {
  this.timeout(120_000);
  const token = randomUUID();
  let agent: Agent | undefined;

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    agent = await startDevAgent({
      nodeName: 'playbook-acl-node',
      configJson: aclConfig(token),
    });
  });

  after(async function () {
    await agent?.stop();
  });

  it('a task with token: at -vvv works, and the token string appears nowhere in the output', async function () {
    if (!agent) throw new Error('no agent');
    const run = await runPlaybook([resolve(__dirname, 'plays/token.yml')], {
      consulAddr: agent.httpAddr,
      json: false,
      args: ['-vvv'],
      env: { TEST_SECRET_TOKEN: token },
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output.slice(-3000)).to.equal(0);

    // The token was used: the agent denies everything without it.
    expect(taskBlock(output, 'Ensure a session with a token')).to.match(/^changed: \[localhost\]/m);
    expect(taskBlock(output, 'Read it back by id with the token')).to.match(/^ok: \[localhost\]/m);
    expect(taskBlock(output, 'Without the token the agent refuses')).to.match(/^fatal: \[localhost\]: FAILED!/m).and.match(/\.\.\.ignoring/);
    expect(taskBlock(output, 'Remove it with the token')).to.match(/^changed: \[localhost\]/m);
    // -vvv printed the module's arguments, with the token masked the way Ansible masks no_log values.
    expect(output).to.match(/"token": "(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER|\*{8})"/);

    expect(output).not.to.contain(token);
    expect(output).not.to.contain(token.replace(/-/g, ''));
    expect(output.toLowerCase()).not.to.contain(token.toLowerCase());

    const left = await consulHttp(agent, 'GET', '/v1/session/list', undefined, { token });
    expect(left.body).to.deep.equal([]);
  });
});
