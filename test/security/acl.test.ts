// ACL tokens against a real agent with ACLs on and default_policy deny: a 403 is called permission
// denied with what was attempted, a token scoped to sessions makes every state work (also from
// CONSUL_HTTP_TOKEN), and the token's value never appears in the module's output.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { consulHttp, consulOrSkip, startDevAgent, type Agent } from '../support/consul';
import { runModule, type ModuleRun } from '../support/module';
import { aclConfig } from '../support/acl-agent';

const PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';
const SESSION_RULES = `
session_prefix "" { policy = "write" }
node_prefix "" { policy = "read" }
agent_prefix "" { policy = "read" }
`;

describe('security: ACL tokens against an agent with default_policy deny', function () {
  this.timeout(60_000);
  const master = randomUUID();
  let agent: Agent;
  let token: string;
  let readOnly: string;
  const runs: ModuleRun[] = [];
  const at = () => ({ host: '127.0.0.1', port: agent.httpPort, timeout: 5 });

  /** Runs the module and remembers the run, so the last test can search every output for the tokens. */
  async function run(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<ModuleRun> {
    const done = await runModule({ ...at(), ...args }, { env });
    runs.push(done);
    return done;
  }
  async function ok(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
    const { result } = await run(args, env);
    expect(result.failed, `module failed: ${String(result.msg)}`).to.equal(undefined);
    return result;
  }
  async function fail(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const { result } = await run(args, env);
    expect(result.failed).to.equal(true);
    return String(result.msg);
  }
  async function makeToken(name: string, rules: string): Promise<string> {
    const policy = await consulHttp(agent, 'PUT', '/v1/acl/policy', { Name: name, Rules: rules });
    expect(policy.status, policy.text).to.equal(200);
    const created = await consulHttp(agent, 'PUT', '/v1/acl/token', { Description: name, Policies: [{ Name: name }] });
    expect(created.status, created.text).to.equal(200);
    return (created.body as { SecretID: string }).SecretID;
  }

  before(async function () {
    consulOrSkip(this);
    agent = await startDevAgent({
      configJson: aclConfig(master),
    });
    token = await makeToken('sessions', SESSION_RULES);
    readOnly = await makeToken('read-only', 'session_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }');
  });
  after(async () => {
    await agent?.stop();
  });

  it('really denies: Consul itself refuses an anonymous create', async () => {
    const res = await consulHttp(agent, 'PUT', '/v1/session/create', { Node: agent.nodeName }, { token: 'anonymous' });
    expect(res.status).to.equal(403);
  });

  it('reports a 403 without a token as permission denied, naming what was attempted', async () => {
    expect(await fail({ name: 'acl-none' })).to.match(
      /^Could not ask the agent for its node name: permission denied \(Consul answered 403: Permission denied\): to ask the agent for its node name \(give node to skip this request\), no token was sent \(token or CONSUL_HTTP_TOKEN\), and the anonymous token's policy needs the rule agent "<the agent's node name>" read/,
    );
    expect(await fail({ name: 'acl-none', node: agent.nodeName })).to.match(
      new RegExp(`^Could not create session 'acl-none' on node ${agent.nodeName}: permission denied \\(Consul answered 403.* needs the rule session "${agent.nodeName}" write`),
    );
  });

  it('reports a token whose policy does not allow writes as permission denied', async () => {
    const msg = await fail({ name: 'acl-read-only', node: agent.nodeName, token: readOnly });
    expect(msg).to.match(/^Could not create session 'acl-read-only' on node .*: permission denied \(Consul answered 403: Permission denied\): .*the token's ACL policy needs the rule session ".*" write/);
  });

  it('reports an unknown token as such, not as a missing rule', async () => {
    const msg = await fail({ state: 'list', token: randomUUID() });
    expect(msg).to.match(/^Could not list the sessions: Consul does not know the token it was sent \(Consul answered 403: ACL not found\): check token or CONSUL_HTTP_TOKEN/);
  });

  it('makes every state work with a session-scoped token', async () => {
    const created = await ok({ name: 'acl-lock', ttl: '30s', token });
    expect(created.changed).to.equal(true);
    const id = String(created.session_id);
    expect((await ok({ name: 'acl-lock', ttl: '30s', token })).changed).to.equal(false);
    expect((await ok({ state: 'present', id, token })).changed).to.equal(false);
    expect(((await ok({ state: 'info', id, token })).session as { Name: string }).Name).to.equal('acl-lock');
    expect((await ok({ state: 'node', node: agent.nodeName, token })).sessions).to.have.length(1);
    expect((await ok({ state: 'list', token })).sessions).to.have.length(1);
    expect((await ok({ state: 'present', name: 'acl-lock', ttl: '30s', token, _ansible_check_mode: true })).changed).to.equal(false);
    expect((await ok({ state: 'absent', name: 'acl-lock', token })).removed).to.deep.equal([id]);
    const second = await ok({ name: 'acl-lock-2', token });
    expect((await ok({ state: 'absent', id: second.session_id, token })).changed).to.equal(true);
    expect((await ok({ state: 'list', token })).sessions).to.have.length(0);
  });

  it('takes the token from CONSUL_HTTP_TOKEN when none is given', async () => {
    const env = { CONSUL_HTTP_TOKEN: token };
    const created = await ok({ name: 'acl-env' }, env);
    expect(created.changed).to.equal(true);
    expect((created.invocation as { module_args: Record<string, unknown> }).module_args.token).to.equal(PLACEHOLDER);
    expect((await ok({ state: 'absent', name: 'acl-env' }, env)).changed).to.equal(true);
    // A token from the environment counts as sent: a denial blames its policy, not a missing token.
    const denied = await fail({ name: 'acl-env', node: agent.nodeName }, { CONSUL_HTTP_TOKEN: readOnly });
    expect(denied).to.contain("the token's ACL policy needs the rule session").and.not.to.contain('no token was sent');
  });

  it('echoes a given token only as the no_log placeholder', async () => {
    const { result } = await run({ state: 'list', token });
    expect((result.invocation as { module_args: Record<string, unknown> }).module_args.token).to.equal(PLACEHOLDER);
  });

  it('never printed a token value: not in stdout, msg, warnings, errors or echoed parameters', () => {
    expect(runs.length).to.be.greaterThan(10);
    for (const { stdout, stderr } of runs) {
      for (const secret of [token, readOnly, master]) {
        expect(stdout).to.not.contain(secret);
        expect(stderr).to.not.contain(secret);
      }
    }
  });
});
