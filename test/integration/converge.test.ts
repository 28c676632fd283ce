// state=present converges on ONE session per name against a real agent: sessions left behind by a
// replace cut short, and runs racing with DIFFERENT settings for one name (the newest request wins; the
// other run fails saying so, or finished before it and was replaced; never two sessions, never none).
import { expect } from 'chai';
import { consulHttp, type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import type { ConsulSession as Session } from '../../src/shared/sessions';
import { startFaultProxy } from '../support/fault-proxy';
import type { RequestHead } from '../support/http-framing';
import { runModule, runOk, type ModuleRun } from '../support/module';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('present converges on one session per name', function () {
  this.timeout(180_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  const named = async (name: string) =>
    ((await consulHttp(agent, 'GET', '/v1/session/node/node-c?consistent')).body as Session[]).filter((s) => s.Name === name);
  const createDirectly = async (name: string, lockDelay: string) =>
    ((await consulHttp(agent, 'PUT', '/v1/session/create', { Name: name, Node: 'node-c', LockDelay: lockDelay })).body as { ID: string }).ID;

  devAgentForSuite('node-c', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  describe('what a replace cut short leaves behind (issue 9, bug 2)', () => {
    it('old session first, new one after: keeps the new one, destroys the old, changed', async () => {
      const old = await createDirectly('f2', '5s');
      const replacement = await createDirectly('f2', '7s');
      const run = await runOk({ name: 'f2', delay: 7 }, { env });
      expect(run).to.include({ changed: true, session_id: replacement });
      expect(run.removed).to.deep.equal([old]);
      expect((run.warnings as string[]).join(' ')).to.contain(old);
      expect((await named('f2')).map((s) => s.ID)).to.deep.equal([replacement]);
    });

    it('check mode predicts the clean-up without destroying anything; the real run then does the same', async () => {
      const old = await createDirectly('f4', '5s');
      const replacement = await createDirectly('f4', '7s');
      const predicted = await runOk({ name: 'f4', delay: 7, _ansible_check_mode: true }, { env });
      expect(predicted).to.include({ changed: true, session_id: replacement });
      expect(predicted.removed).to.deep.equal([old]);
      expect((await named('f4')).map((s) => s.ID).sort()).to.deep.equal([old, replacement].sort());
      const real = await runOk({ name: 'f4', delay: 7 }, { env });
      expect(real).to.include({ changed: true, session_id: replacement });
      expect(real.removed).to.deep.equal(predicted.removed);
    });

    it('a matching session older than one with other settings: replaced by a new one, both destroyed', async () => {
      const matching = await createDirectly('f3', '7s');
      const newer = await createDirectly('f3', '5s');
      const run = await runOk({ name: 'f3', delay: 7 }, { env });
      expect(run.changed).to.equal(true);
      expect(run.removed).to.deep.equal([matching, newer]);
      const left = await named('f3');
      expect(left.map((s) => s.ID)).to.deep.equal([run.session_id]);
      expect(left[0]?.LockDelay).to.equal(7e9);
    });
  });

  describe('runs racing with different settings for one name', () => {
    interface Outcome {
      delay: number;
      run: ModuleRun;
    }

    /** Starts one run per delay, `skewMs` apart in the order given, on the same name. */
    async function race(name: string, delays: number[], skewMs: number): Promise<Outcome[]> {
      return Promise.all(
        delays.map(async (delay, i) => {
          await sleep(i * skewMs);
          return { delay, run: await runModule({ name, delay, timeout: 5, retry_timeout: 10 }, { env }) };
        }),
      );
    }

    function checkRound(label: string, outcomes: Outcome[], left: Session[]): 'one failed' | 'both succeeded' {
      expect(left, `${label}: exactly one session at the end`).to.have.length(1);
      const survivor = left[0] as Session;
      const ok = outcomes.filter((o) => !o.run.result.failed);
      const failed = outcomes.filter((o) => o.run.result.failed);
      const owner = ok.find((o) => o.run.result.session_id === survivor.ID);
      expect(owner, `${label}: a run that succeeded reported the survivor`).not.to.equal(undefined);
      expect(survivor.LockDelay, `${label}: with that run's settings`).to.equal((owner as Outcome).delay * 1e9);
      for (const o of ok.filter((x) => x.delay === (owner as Outcome).delay)) {
        expect(o.run.result.session_id, `${label}: runs with the winning settings agree`).to.equal(survivor.ID);
      }
      for (const o of failed) {
        expect(String(o.run.result.msg), label).to.match(/^Another run asked for session '.*' on node node-c with other settings at the same time/);
      }
      return failed.length ? 'one failed' : 'both succeeded';
    }

    it('twelve rounds of two runs (delay 5 and 7), from nothing and from a third setting: one session, the winner\'s', async () => {
      const tally: Record<string, number> = {};
      for (let round = 0; round < 12; round++) {
        const name = `mixed-${round}`;
        if (round % 3 === 2) await createDirectly(name, '9s');
        const delays = round % 2 === 0 ? [5, 7] : [7, 5];
        const outcomes = await race(name, delays, (round % 4) * 30);
        const result = checkRound(`round ${round}`, outcomes, await named(name));
        tally[result] = (tally[result] ?? 0) + 1;
      }
      // Which interleavings happened, for the report; either outcome is correct.
      console.log(`      [converge] ${JSON.stringify(tally)}`);
    });

    it('both runs see both creates (the proxy holds their re-reads until both wait): the later create wins, the other run fails', async () => {
      // A run re-reads with ?consistent only after its create was answered, so once both re-reads are
      // waiting, both sessions exist, and each run decides from the same view.
      let waiting: Array<() => void> = [];
      const holdReReads = (request: RequestHead) => {
        if (request.method !== 'GET' || !request.path.includes('consistent')) return 'pass' as const;
        return new Promise<'pass'>((release) => {
          waiting.push(() => release('pass'));
          if (waiting.length === 2) [waiting, waiting = []][0]?.forEach((go) => go());
        });
      };
      const [host = '', port = ''] = agent.httpAddr.replace(/^https?:\/\//, '').split(':');
      const proxy = await startFaultProxy({ host, port: Number(port) }, holdReReads, 10_000);
      try {
        for (let round = 0; round < 4; round++) {
          const name = `held-${round}`;
          if (round % 2 === 1) await createDirectly(name, '9s');
          const runs = await Promise.all(
            [5, 7].map(async (delay) => ({ delay, run: await runModule({ ...proxy.moduleArgs, name, delay, retry_timeout: 0 }) })),
          );
          expect(checkRound(`held round ${round}`, runs, await named(name))).to.equal('one failed');
        }
      } finally {
        await proxy.close();
      }
    });

    it('four runs at once, two per setting: one session, and the runs of its setting report it', async () => {
      for (let round = 0; round < 3; round++) {
        const name = `mixed-four-${round}`;
        const outcomes = await race(name, [5, 7, 5, 7], 0);
        const left = await named(name);
        expect(left, `round ${round}`).to.have.length(1);
        const ok = outcomes.filter((o) => !o.run.result.failed);
        expect(ok.some((o) => o.run.result.session_id === left[0]?.ID && o.delay * 1e9 === left[0]?.LockDelay), `round ${round}`).to.equal(true);
      }
    });
  });
});
