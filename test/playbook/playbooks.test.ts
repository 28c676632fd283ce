/**
 * The module where its users run it: ansible-playbook drives the plays in playbooks/ against one dev
 * agent. They call the modules by FQCN, found through playbooks/collections/ (a symlink to collection/);
 * the test plays' short names are dist/ through playbooks/ansible.cfg's library.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import {
  DIST_DIR,
  ansibleOrSkip,
  changedMap,
  onlyResult,
  playbookOk,
  ranOurModule,
  runPlaybook,
  taskResults,
  taskRows,
} from '../support/ansible.js';
import type { HostResult, JsonReport } from '../support/ansible.js';
import { moduleNode } from '../support/toolchain.js';
import type { ConsulSession as Session } from '../../src/shared/sessions';

const PLAYS = resolve(__dirname, 'plays');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EXAMPLE_NAMES = ['leader-election', 'session1', 'session_with_check', 'session_with_delay'];


/** Rows of the consul_session tasks of a report. */
function moduleRows(report: JsonReport) {
  return taskRows(report).filter((row) => row.result.action === 'consul_ts.consul.consul_session');
}

describe('playbooks (ansible-playbook against a dev agent)', function () {
  this.timeout(180_000);
  let agent: Agent | undefined;

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    expect(existsSync(join(DIST_DIR, 'consul_session.js')), 'dist/consul_session.js is built (npm run build)').to.equal(true);
    agent = await startDevAgent({ nodeName: 'playbook-node' });
  });

  after(async function () {
    await agent?.stop();
  });

  function addr(): string {
    if (!agent) throw new Error('no agent');
    return agent.httpAddr;
  }

  async function sessions(): Promise<Session[]> {
    if (!agent) throw new Error('no agent');
    const res = await consulHttp(agent, 'GET', '/v1/session/list');
    expect(res.status).to.equal(200);
    return (res.body as Session[]).sort((a, b) => a.ID.localeCompare(b.ID));
  }

  async function kvStatus(key: string): Promise<number> {
    if (!agent) throw new Error('no agent');
    return (await consulHttp(agent, 'GET', `/v1/kv/${key}`)).status;
  }

  async function kvEntry(key: string): Promise<{ Session?: string; LockIndex: number }> {
    if (!agent) throw new Error('no agent');
    const res = await consulHttp(agent, 'GET', `/v1/kv/${key}`);
    expect(res.status, `GET /v1/kv/${key}`).to.equal(200);
    return (res.body as Array<{ Session?: string; LockIndex: number }>)[0]!;
  }

  describe('one play per state, in check mode, for real, and again', function () {
    let checkPresent: JsonReport;

    it('state_present.yml --check --diff creates nothing, yet says what it would change and shows it', async function () {
      const before = await sessions();
      checkPresent = await playbookOk(['state_present.yml'], { consulAddr: addr(), args: ['--check', '--diff'] });
      expect(await sessions(), 'no session was created in check mode').to.deep.equal(before);

      const rows = moduleRows(checkPresent);
      expect(rows.map((row) => row.result.name).sort()).to.deep.equal(EXAMPLE_NAMES);
      for (const { task, result } of rows) {
        expect(result.changed, task).to.equal(true);
        expect(result.session_id, task).to.equal(null);
        const diff = result.diff as { before: { sessions: unknown[] }; after: { sessions: Array<Record<string, unknown>> } };
        expect(diff.before.sessions, task).to.deep.equal([]);
        expect(diff.after.sessions, task).to.have.length(1);
        expect(diff.after.sessions[0], task).to.include({ name: result.name, node: 'playbook-node', id: null });
      }
      expect(onlyResult(checkPresent, 'Register a session with a lock delay').diff).to.have.nested.property('after.sessions[0].delay', 20);
    });

    it('the real run of every state play changes what check mode said; a second run changes nothing', async function () {
      const plays = ['state_present.yml', 'state_info.yml', 'state_node.yml', 'state_list.yml'];
      const first = await playbookOk(plays, { consulAddr: addr(), args: ['--diff'] });
      for (const row of moduleRows(first)) expect(ranOurModule(row.result), row.task).to.equal(true);

      // present: exactly what --check predicted, task by task
      const firstChanged = changedMap(first);
      for (const [key, changed] of Object.entries(changedMap(checkPresent))) {
        expect(firstChanged[key], `${key}: same changed as in check mode`).to.equal(changed);
      }
      const mine = (await sessions()).filter((s) => EXAMPLE_NAMES.includes(s.Name));
      expect(mine.map((s) => s.Name).sort()).to.deep.equal(EXAMPLE_NAMES);
      const byName = Object.fromEntries(mine.map((s) => [s.Name, s]));
      expect(byName.session_with_delay?.LockDelay, 'delay: 20s reached Consul').to.equal(20e9);
      expect(byName['leader-election']).to.include({ TTL: '30s', Behavior: 'delete' });
      expect(byName.session_with_check?.NodeChecks).to.deep.equal(['serfHealth']);
      const delay = onlyResult(first, 'Register a session with a lock delay');
      expect(delay).to.have.nested.property('diff.after.sessions[0].id', byName.session_with_delay?.ID);

      // info, node, list
      const info = onlyResult(first, 'Retrieve info about a session by id');
      expect(info).to.include({ changed: false, session_id: byName.session1?.ID });
      expect(info.session).to.include({ Name: 'session1', Node: 'playbook-node' });
      const onNode = onlyResult(first, 'Retrieve the sessions of a node');
      expect(onNode.node).to.equal('playbook-node');
      expect((onNode.sessions as Session[]).map((s) => s.Name).sort()).to.deep.equal(EXAMPLE_NAMES);
      const listed = onlyResult(first, 'Retrieve every active session');
      expect((listed.sessions as Session[]).map((s) => s.ID).sort()).to.deep.equal(mine.map((s) => s.ID).sort());

      const second = await playbookOk(plays, { consulAddr: addr() });
      for (const row of taskRows(second)) expect(row.result.changed, `second run: ${row.task}`).to.equal(false);
      expect(second.stats.localhost?.changed).to.equal(0);
      expect((await sessions()).map((s) => s.ID)).to.deep.equal(mine.map((s) => s.ID));
    });

    it('state_absent.yml --check destroys nothing but reports the change; the real run matches; again changes nothing', async function () {
      const before = await sessions();
      expect(before).to.have.length(4);
      const check = await playbookOk(['state_absent.yml'], { consulAddr: addr(), args: ['--check', '--diff'] });
      expect(await sessions(), 'no session was destroyed in check mode').to.deep.equal(before);
      const byName = onlyResult(check, 'Remove a session by name');
      expect(byName.changed).to.equal(true);
      expect(byName.diff).to.have.nested.property('before.sessions[0].name', 'session1');
      expect(byName.diff).to.have.nested.property('after.sessions').that.deep.equals([]);

      const real = await playbookOk(['state_absent.yml'], { consulAddr: addr(), args: ['--diff'] });
      expect(changedMap(real)).to.deep.equal(changedMap(check));
      const loop = onlyResult(real, 'Remove the other example sessions by name').results as HostResult[];
      expect(loop.map((item) => item.changed)).to.deep.equal([true, true, true]);
      expect(await sessions()).to.deep.equal([]);

      const again = await playbookOk(['state_absent.yml'], { consulAddr: addr() });
      for (const row of taskRows(again)) expect(row.result.changed, `second run: ${row.task}`).to.equal(false);
      expect(again.stats.localhost?.changed).to.equal(0);
    });
  });

  // These plays touch disjoint sessions and keys, so they run side by side: the ten-host race starts
  // first and runs while the demo, the wrong parameter and the interpreter plays run one after another.
  describe('plays that run side by side', function () {
    let race: Promise<{ report?: JsonReport; error?: unknown }> | undefined;

    before(function () {
      race = playbookOk(['lock_race.yml'], { consulAddr: addr() }).then(
        (report) => ({ report }),
        (error: unknown) => ({ error }),
      );
    });

    after(async function () {
      await race; // never leave the play running past the suite
    });

    it('demo.yml takes a lock with consul_lock, shows the holder, releases it and destroys the session', async function () {
      const report = await playbookOk(['demo.yml'], { consulAddr: addr() });
      const created = onlyResult(report, 'Ensure the session demo-lock exists');
      expect(ranOurModule(created), 'ansible.cfg resolves consul_session to dist/consul_session.js').to.equal(true);
      expect(created.changed).to.equal(true);
      const id = String(created.session_id);
      expect(id).to.match(UUID);

      const taken = onlyResult(report, 'Take the lock with that session, key demo/lock');
      expect(taken).to.include({ action: 'consul_ts.consul.consul_lock', changed: true, holder: id, acquired: true, value: 'deployed by localhost' });
      expect(onlyResult(report, 'Take it again, which changes nothing (the session already holds it)')).to.include({ changed: false, holder: id });
      expect(onlyResult(report, 'Read who holds demo/lock')).to.include({ changed: false, holder: id, holder_name: 'demo-lock' });
      expect(String(onlyResult(report, 'Show the holder').msg)).to.contain(`held by session ${id}`).and.contain('playbook-node');
      expect(onlyResult(report, 'Release the lock')).to.include({ changed: true, holder: null, acquired: false });
      const destroyed = onlyResult(report, 'Destroy the session');
      expect(destroyed).to.include({ changed: true });
      expect(destroyed.removed).to.deep.equal([id]);
      expect(String(onlyResult(report, 'Show that nobody holds it').msg)).to.equal(
        `session ${id} destroyed; demo/lock is free (value "deployed by localhost" kept)`,
      );
      for (const row of taskRows(report)) expect(row.result.action, row.task).not.to.equal('ansible.builtin.uri');

      expect((await sessions()).filter((s) => s.Name === 'demo-lock')).to.deep.equal([]);
      const key = await kvEntry('demo/lock');
      expect(key).to.include({ LockIndex: 1 }).and.not.have.property('Session');
    });

    it('a wrong parameter fails the task with the Ansible-style message; ignore_errors works as usual', async function () {
      const run = await runPlaybook([join(PLAYS, 'wrong_param.yml')], { consulAddr: addr() });
      expect(run.code, 'a failed task makes ansible-playbook exit 2').to.equal(2);
      const report = run.report!;

      const typo = onlyResult(report, 'A misspelled parameter, ignored');
      expect(typo).to.include({ failed: true, changed: false });
      expect(String(typo.msg)).to.match(
        /^Unsupported parameters for \(consul_session\) module: tll\. Supported parameters include: behavior, ca_path, .*\bttl\b/,
      );
      const short = onlyResult(report, "A TTL below Consul's minimum, ignored");
      expect(short).to.include({ failed: true, msg: 'value of ttl must be at least 10 seconds, got: 5s' });
      expect(onlyResult(report, 'The play goes on after ignored errors')).to.include({ msg: 'All assertions passed' }).and.not.have.property('failed');
      expect(onlyResult(report, 'The same misspelling, not ignored')).to.include({ failed: true, msg: typo.msg });
      expect(() => taskResults(report, 'Never reached')).to.throw(/found 0/);
      expect(report.stats.localhost).to.include({ failures: 1, ignored: 2, changed: 0 });
      expect((await sessions()).map((s) => s.Name)).not.to.include.members(['typo-session', 'short-session']);
    });

    it('ansible_node_interpreter makes Ansible run the module with another node', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'node-elsewhere-'));
      try {
        const marker = join(dir, 'ran');
        const wrapper = join(dir, 'node');
        writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> '${marker}'\nexec '${moduleNode()}' "$@"\n`);
        chmodSync(wrapper, 0o755);
        const report = await playbookOk(['state_list.yml'], {
          consulAddr: addr(),
          args: ['-e', `ansible_node_interpreter=${wrapper}`],
        });
        expect(onlyResult(report, 'Retrieve every active session')).to.include({ changed: false });
        expect(readFileSync(marker, 'utf8'), 'the module ran under the wrapper').to.match(/AnsiballZ_consul_session\.js/);

        const broken = await runPlaybook(['state_list.yml'], {
          consulAddr: addr(),
          args: ['-e', `ansible_node_interpreter=${join(dir, 'no-such-node')}`],
        });
        expect(broken.code, 'a missing interpreter fails the task').to.equal(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('ten hosts (forks 10) race for one lock: exactly one holds it, all others see its session', async function () {
      const { report, error } = (await race) ?? {};
      if (!report) throw error;
      const hosts = Array.from({ length: 10 }, (_, i) => `locker${String(i + 1).padStart(2, '0')}`);

      const ensured = taskResults(report, "Ensure this host's session");
      expect(Object.keys(ensured).sort()).to.deep.equal(hosts);
      const ids = hosts.map((h) => String(ensured[h]?.session_id));
      expect(new Set(ids).size, 'ten distinct sessions').to.equal(10);
      for (const id of ids) expect(id).to.match(UUID);

      const acquired = taskResults(report, 'Try to take the lock');
      const winners = hosts.filter((h) => acquired[h]?.acquired === true);
      expect(winners, 'exactly one host acquired the lock').to.have.length(1);
      const holderId = String(ensured[winners[0]!]?.session_id);
      expect(acquired[winners[0]!]).to.include({ changed: true, holder: holderId });
      for (const h of hosts) {
        if (h === winners[0]) continue;
        // wait: 0 — the loser is told at once who holds the lock (its session id, name and node). A loser
        // that read the key while it was still free and lost the acquire says "Waited 0 s …" instead (seen
        // under ansible-core 2.19), so only the holder's description is the same in every run.
        expect(acquired[h]?.changed, h).to.equal(false);
        expect(String(acquired[h]?.msg), h).to.contain(`lock race/lock`).and.contain(`held by session ${holderId} ('race-${winners[0]!}' on node playbook-node)`);
        expect(acquired[h]?.waited, h).to.equal(0);
      }

      const read = taskResults(report, 'Read who holds the lock');
      for (const h of hosts) {
        expect(read[h], `${h} sees the holder`).to.include({ holder: holderId, acquired: h === winners[0], value: winners[0] });
      }
      for (const h of hosts) expect(report.stats[h]?.failures, h).to.equal(0);

      expect((await sessions()).filter((s) => s.Name.startsWith('race-'))).to.deep.equal([]);
      expect(await kvStatus('race/lock'), "behavior: delete — destroying the winner's session removed the key").to.equal(404);
    });
  });
});
