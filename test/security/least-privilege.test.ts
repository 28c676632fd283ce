// Every row of acl-policies.ts against a Consul 1.8.7 agent with ACLs on and default_policy deny: a token
// with exactly the row's rules runs the state; with any one rule less it fails naming what it attempted and
// the rule (or, where Consul hides sessions instead of refusing, does what the table says); a write rule
// downgraded to read is not enough either. After every run that lacks a rule, the master token finds the
// KV and the sessions exactly as before: nothing was written.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { hcl, startAclAgent, type AclAgent } from '../support/acl-agent';
import { consulHttp, consulOrSkip, type Agent } from '../support/consul';
import { runModule } from '../support/module';
import { fill, POLICIES, type PolicyRow, type Without } from './acl-policies';

/** What one row's run needs: its arguments (built with the master token) and how a successful run looks. */
interface Scenario {
  args: Record<string, unknown>;
  key?: string;
  prefix?: string;
  /** The result of the run with the whole policy. */
  ok?: (result: Record<string, unknown>) => void;
  /** The result of a run whose missing rule Consul answers by hiding sessions ('hidden'). */
  hidden?: (result: Record<string, unknown>) => void;
}

describe('security: the smallest ACL policy of every state (acl-policies.ts)', function () {
  this.timeout(60_000);
  let acl: AclAgent;
  let agent: Agent;
  let node: string;
  /** Every module run's stdout and stderr, searched for tokens at the end. */
  const outputs: string[] = [];

  const http = async (method: string, path: string, body?: unknown) => {
    const res = await consulHttp(agent, method, path, body);
    expect(res.status, `${method} ${path}: ${res.text}`).to.equal(200);
    return res.body;
  };
  const session = async (name: string, ttl?: string) =>
    ((await http('PUT', '/v1/session/create', { Name: name, Node: node, ...(ttl ? { TTL: ttl } : {}) })) as { ID: string }).ID;
  const tokenFor = (rules: string[]) => acl.tokenFor(hcl(rules));
  /**
   * What a row's runs could have written, as the master token sees it: the keys under lp/<tag>- and the
   * sessions named <tag>-… (other rows' TTL sessions expire meanwhile). Indexes are left out: a semaphore
   * run that withdraws its contender key leaves the same keys, at new indexes.
   */
  async function snapshot(tag: string): Promise<string> {
    const kv = await consulHttp(agent, 'GET', `/v1/kv/lp/${tag}-?recurse`);
    const entries = kv.status === 404 ? [] : (kv.body as Array<Record<string, unknown>>).map(({ Key, Value, Flags, Session }) => ({ Key, Value, Flags, Session }));
    const all = (await http('GET', '/v1/session/list')) as Array<{ ID: string; Name: string }>;
    const sessions = all.filter((s) => s.Name.startsWith(`${tag}-`)).map((s) => s.ID).sort();
    return JSON.stringify({ entries, sessions });
  }

  /** Each row's setup: what exists before its runs, and the run's arguments. */
  const SCENARIOS: Record<string, (id: string) => Promise<Scenario>> = {
    'session-present-node': (id) => Promise.resolve({ args: { name: id, node }, ok: (r) => expect(r.changed).to.equal(true) }),
    'session-present-agent': (id) => Promise.resolve({ args: { name: id }, ok: (r) => expect(r.node).to.equal(node) }),
    'session-present-id': async (id) => ({ args: { state: 'present', id: await session(id) }, ok: (r) => expect(r.changed).to.equal(false) }),
    'session-absent-name': async (id) => {
      await session(id);
      return { args: { state: 'absent', name: id, node }, ok: (r) => expect(r.removed).to.have.length(1), hidden: (r) => expect(r.changed).to.equal(false) };
    },
    'session-absent-id': async (id) => ({ args: { state: 'absent', id: await session(id) }, ok: (r) => expect(r.removed).to.have.length(1), hidden: (r) => expect(r.changed).to.equal(false) }),
    'session-renewed': async (id) => ({ args: { state: 'renewed', id: await session(id, '60s') }, ok: (r) => expect(r.changed).to.equal(true) }),
    'session-renewed-name': async (id) => {
      await session(id, '60s');
      return { args: { state: 'renewed', name: id, node }, ok: (r) => expect(r.changed).to.equal(true) };
    },
    'session-info': async (id) => ({ args: { state: 'info', id: await session(id) }, ok: (r) => expect(r.session).to.include({ Name: id }), hidden: (r) => expect(r.session).to.equal(null) }),
    'session-node': async (id) => {
      await session(id);
      return { args: { state: 'node', node }, ok: (r) => expect(r.sessions).to.not.be.empty, hidden: (r) => expect(r.sessions).to.deep.equal([]) };
    },
    'session-list': async (id) => {
      await session(id);
      return { args: { state: 'list' }, ok: (r) => expect(r.sessions).to.not.be.empty, hidden: (r) => expect(r.sessions).to.deep.equal([]) };
    },
    'lock-acquired': async (id) => ({ key: `lp/${id}`, args: { key: `lp/${id}`, session: await session(id) }, ok: (r) => expect(r.acquired).to.equal(true) }),
    'lock-acquired-wait': (id) => lockWait(id, undefined, 1),
    'lock-acquired-wait-ttl': (id) => lockWait(id, '10s', 6),
    'lock-released': async (id) => {
      const key = `lp/${id}`;
      const own = await session(id);
      await http('PUT', `/v1/kv/${key}?acquire=${own}&flags=3304740253564472344`, 'v');
      return { key, args: { key, session: own, state: 'released' }, ok: (r) => expect(r.changed).to.equal(true) };
    },
    'lock-info': async (id) => {
      await http('PUT', `/v1/kv/lp/${id}`, 'v');
      return { key: `lp/${id}`, args: { key: `lp/${id}`, state: 'info' }, ok: (r) => expect(r).to.include({ value: 'v', holder: null }) };
    },
    'semaphore-acquired': async (id) => ({ prefix: `lp/${id}`, args: { prefix: `lp/${id}`, limit: 1, session: await session(id) }, ok: (r) => expect(r.acquired).to.equal(true) }),
    'semaphore-acquired-wait': (id) => semaphoreWait(id, undefined, 1),
    'semaphore-acquired-wait-ttl': (id) => semaphoreWait(id, '10s', 6),
    'semaphore-released': async (id) => {
      const prefix = `lp/${id}`;
      const own = await session(id);
      await runOkAsMaster({ prefix, limit: 1, session: own });
      return { prefix, args: { prefix, limit: 1, session: own, state: 'released' }, ok: (r) => expect(r.changed).to.equal(true) };
    },
    'semaphore-info': async (id) => {
      const prefix = `lp/${id}`;
      await runOkAsMaster({ prefix, limit: 2, session: await session(id) });
      return { prefix, args: { prefix, state: 'info' }, ok: (r) => expect(r.holders).to.have.length(1) };
    },
  };

  async function runOkAsMaster(args: Record<string, unknown>) {
    const { result } = await runModule({ host: '127.0.0.1', port: agent.httpPort, token: acl.master, ...args }, { module: 'consul_semaphore' });
    expect(result.failed, String(result.msg)).to.equal(undefined);
  }
  /** Another session holds the lock for the whole run: ours waits `wait` s (renewing a TTL session) and reports it did not get it. */
  async function lockWait(id: string, ttl: string | undefined, wait: number): Promise<Scenario> {
    const key = `lp/${id}`;
    await http('PUT', `/v1/kv/${key}?acquire=${await session(`${id}-holder`)}&flags=3304740253564472344`, '');
    const args = { key, session: await session(id, ttl), wait, fail_if_not_acquired: false };
    return { key, args, ok: (r) => expect(r).to.include({ acquired: false }).and.to.have.property('waited').at.least(wait) };
  }
  async function semaphoreWait(id: string, ttl: string | undefined, wait: number): Promise<Scenario> {
    const prefix = `lp/${id}`;
    await runOkAsMaster({ prefix, limit: 1, session: await session(`${id}-holder`) });
    const args = { prefix, limit: 1, session: await session(id, ttl), wait, fail_if_not_acquired: false };
    return { prefix, args, ok: (r) => expect(r).to.include({ acquired: false }).and.to.have.property('waited').at.least(wait) };
  }

  before(async function () {
    consulOrSkip(this);
    acl = await startAclAgent();
    agent = acl.agent;
    node = agent.nodeName;
  });
  after(async () => {
    await agent?.stop();
  });

  /**
   * A denial names the rule it lacks: of the missing rule's kind, on its name (a key under a missing
   * key_prefix; the agent's node as a placeholder), and a read when only a read was missing.
   */
  function namesRule(msg: string, missing: string, label: string): void {
    expect(msg, label).to.match(/permission denied \(Consul answered 403: Permission denied\): to .+ needs the rule /);
    const [, kind, name, level] = /needs the rule (\w+) "((?:[^"\\]|\\.)*)" (read|write)/.exec(msg) ?? [];
    const [, wantKind, wantName, wantLevel] = /^(\w+) "(.*)" (read|write)$/.exec(missing) ?? [];
    expect(kind, label).to.equal(wantKind!.replace(/_prefix$/, ''));
    if (wantKind!.endsWith('_prefix')) expect(name, label).to.satisfy((n: string) => n.startsWith(wantName!));
    else if (kind !== 'agent') expect(name, label).to.equal(wantName);
    if (wantLevel === 'read') expect(level, label).to.equal('read');
  }

  /** A waiting lock run never frees the key, so its key rule is read-only in that run (the free case proves write). */
  const downgradeable = (row: PolicyRow, text: string) => /write$/.test(text) && !(row.id.startsWith('lock-acquired-wait') && text.startsWith('key '));

  for (const row of POLICIES) {
    it(`${row.module} ${row.state}${row.when ? ` (${row.when})` : ''}: ${row.rules.map((r) => r.rule).join(' + ')}`, async () => {
      expect(SCENARIOS, 'every row of acl-policies.ts has a scenario here').to.have.property(row.id);
      const tag = randomUUID().slice(0, 8);
      /** A run of the row's scenario, set up afresh (its own key, prefix and sessions), with `rules` filled in for it. */
      const prepare = async (rules: (scenario: Scenario) => string[], under = tag) => {
        const scenario = await SCENARIOS[row.id]!(`${under}-${row.id}-${randomUUID().slice(0, 8)}`);
        return { scenario, token: await tokenFor(rules(scenario)) };
      };
      const filled = (scenario: Scenario) => row.rules.map((r) => fill(r.rule, { node, key: scenario.key, prefix: scenario.prefix }));
      const run = async ({ scenario, token }: { scenario: Scenario; token: string }) => {
        const done = await runModule({ host: '127.0.0.1', port: agent.httpPort, timeout: 5, token, ...scenario.args }, { module: row.module });
        outputs.push(done.stdout + done.stderr);
        return done.result;
      };

      // One rule less (or a write made read), each in a scenario of its own, run side by side.
      const variants: Array<{ label: string; rules: (scenario: Scenario) => string[]; expect: Without; missing: number }> = [];
      row.rules.forEach((r, i) => {
        variants.push({ label: `without ${r.rule}`, rules: (sc) => filled(sc).filter((_, j) => j !== i), expect: r.without, missing: i });
        if (downgradeable(row, r.rule)) {
          const asRead = (text: string) => text.replace(/write$/, 'read');
          variants.push({ label: `with ${asRead(r.rule)} instead of write`, rules: (sc) => filled(sc).map((x, j) => (j === i ? asRead(x) : x)), expect: 'denied', missing: i });
        }
      });
      // The whole policy runs beside them, under a tag of its own so that its writes stay out of the snapshot.
      const whole = await prepare(filled, randomUUID().slice(0, 8));
      const prepared = await Promise.all(variants.map((v) => prepare(v.rules)));
      const before = await snapshot(tag);
      const [result, ...results] = await Promise.all([whole, ...prepared].map(run));
      expect(result!.failed, `with the whole policy: ${String(result!.msg)}`).to.equal(undefined);
      whole.scenario.ok?.(result!);
      expect(await snapshot(tag), 'runs lacking a rule wrote nothing').to.equal(before);
      variants.forEach((variant, i) => {
        const result = results[i]!;
        const msg = String(result.msg);
        if (variant.expect === 'hidden') {
          expect(result.failed, `${variant.label}: ${msg}`).to.equal(undefined);
          prepared[i]!.scenario.hidden?.(result);
          return;
        }
        expect(result.failed, `${variant.label}: ${JSON.stringify(result)}`).to.equal(true);
        expect(result.changed, variant.label).to.equal(false);
        if (variant.expect === 'hidden-fails') expect(msg, variant.label).to.contain('or the token may not read it');
        else namesRule(msg, filled(prepared[i]!.scenario)[variant.missing]!, variant.label);
      });
    });
  }

  it('never printed a token: not in any output of any run', () => {
    expect(outputs.length).to.be.greaterThan(40);
    for (const output of outputs) for (const secret of acl.secrets) expect(output).not.to.contain(secret);
  });
});
