// The semaphore's rules (src/consul_semaphore/semaphore.ts), without Consul: the JSON exactly as the Go
// client writes it, the liveness rule, and what acquire, release and cleanup would write from one read.
import { expect } from 'chai';
import { ModuleFailure } from '../../src/shared/errors';
import { LOCK_FLAGS, SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';
import {
  decodeRecord,
  deadHolders,
  encodeRecord,
  limitConflict,
  liveHolders,
  planAcquire,
  planCleanup,
  planRelease,
  semaphoreView,
  waitingContenders,
  type SemaphoreEntry,
} from '../../src/consul_semaphore/semaphore';

const A = '1580ce94-d2cb-540e-6049-b284212ef93f';
const B = '3e8b1c23-9a37-0a89-b390-ea264f29062d';
const C = 'b2369215-9c04-e871-1f44-3333d6fe7774';
const P = 'sem/x';

const lockEntry = (value: string, modifyIndex = 18, flags = SEMAPHORE_FLAGS): SemaphoreEntry => ({ key: `${P}/.lock`, value, session: null, flags, modifyIndex });
const contender = (id: string, held = true, value = ''): SemaphoreEntry => ({ key: `${P}/${id}`, value, session: held ? id : null, flags: SEMAPHORE_FLAGS, modifyIndex: 14 });
const record = (limit: number, ...holders: string[]) => JSON.stringify({ Limit: limit, Holders: Object.fromEntries(holders.map((h) => [h, true])) });

describe('consul_semaphore: the semaphore protocol, pure', () => {
  describe('the JSON of PREFIX/.lock', () => {
    it('is written byte for byte as `consul lock -n 2` wrote it on a 1.8.7 agent (Limit, then Holders sorted)', () => {
      const seen = `{"Limit":2,"Holders":{"${A}":true,"${B}":true}}`;
      expect(encodeRecord({ limit: 2, holders: new Map([[B, true], [A, true]]) })).to.equal(seen);
      const decoded = decodeRecord(`${P}/.lock`, seen);
      expect(decoded?.limit).to.equal(2);
      expect([...(decoded?.holders.keys() ?? [])]).to.deep.equal([A, B]);
    });

    it('is read as Go reads it: field names in any case, other fields ignored, null Holders empty, an empty value no semaphore yet', () => {
      const decoded = decodeRecord('k', `{"limit":3,"holders":{"${A}":true},"Extra":1}`);
      expect(decoded?.limit).to.equal(3);
      expect([...(decoded?.holders.keys() ?? [])]).to.deep.equal([A]);
      expect(decodeRecord('k', '{"Limit":2,"Holders":null}')?.holders.size).to.equal(0);
      expect(decodeRecord('k', '')).to.equal(undefined);
    });

    it('refuses what is not a semaphore, naming the key and saying what to do', () => {
      for (const bad of ['nope', '[]', '{"Limit":"2"}', '{"Limit":1.5}', '{"Limit":2,"Holders":["x"]}', '{"Limit":2,"Holders":{"x":1}}']) {
        expect(() => decodeRecord('sem/x/.lock', bad), bad).to.throw(ModuleFailure, /^The key sem\/x\/\.lock has the semaphore flags but its value is not a semaphore's JSON .*Fix or delete the key\.$/);
      }
    });
  });

  describe('one read of the prefix', () => {
    it('refuses a .lock with other flags (a lock of consul lock, a plain key), naming what it is', () => {
      expect(() => semaphoreView(P, [lockEntry('', 5, LOCK_FLAGS)], 5)).to.throw(ModuleFailure, /sem\/x\/\.lock is a lock's key \(flags 3304740253564472344.*not a semaphore's.*consul lock -n 1 keep a lock there: share it with consul_lock, key sem\/x\/\.lock\)/);
      expect(() => semaphoreView(P, [lockEntry('x', 5, '0')], 5)).to.throw(ModuleFailure, /a plain key \(flags 0\)/);
    });

    it('counts a holder alive while its session holds any key under the prefix, as the Go client does', () => {
      // A holds its contender key; B's session holds only another key of the prefix; C's key lost its session.
      const other: SemaphoreEntry = { key: `${P}/extra`, value: '', session: B, flags: '0', modifyIndex: 3 };
      const view = semaphoreView(P, [lockEntry(record(3, A, B, C)), contender(A), other, contender(C, false)], 20);
      expect(liveHolders(view)).to.deep.equal([A, B]);
      expect(deadHolders(view)).to.deep.equal([C]);
      expect(view.contenders.has(C)).to.equal(true);
      expect(view.contenders.has('extra')).to.equal(false);
    });

    it('lists the live contenders without a slot as waiting', () => {
      const view = semaphoreView(P, [lockEntry(record(1, A)), contender(A), contender(B), contender(C, false)], 20);
      expect(waitingContenders(view)).to.deep.equal([B]);
    });
  });

  describe('acquire', () => {
    it('takes a slot of a new semaphore with a create-only write (cas 0) of our limit', () => {
      const plan = planAcquire(semaphoreView(P, [], 7), A, 2);
      expect(plan).to.deep.include({ kind: 'take', pruned: [] });
      if (plan.kind !== 'take') return;
      expect(plan.write).to.include({ key: `${P}/.lock`, cas: 0, value: `{"Limit":2,"Holders":{"${A}":true}}` });
    });

    it('reports a slot it holds, a full semaphore with its live holders, and never counts dead holders', () => {
      const full = semaphoreView(P, [lockEntry(record(2, A, B)), contender(A), contender(B)], 20);
      expect(planAcquire(full, A, 2)).to.deep.equal({ kind: 'held' });
      expect(planAcquire(full, C, 2)).to.deep.equal({ kind: 'full', holders: [A, B] });
      const oneDead = semaphoreView(P, [lockEntry(record(2, A, B), 18), contender(A), contender(B, false), contender(C)], 20);
      const plan = planAcquire(oneDead, C, 2);
      expect(plan.kind).to.equal('take');
      if (plan.kind !== 'take') return;
      // B is dropped in the same write, which only lands if .lock is still at index 18.
      expect(plan.pruned).to.deep.equal([B]);
      expect(plan.write).to.include({ cas: 18, value: `{"Limit":2,"Holders":{"${A}":true,"${C}":true}}` });
    });

    it('re-enters when its own entry is in .lock but its key lost the session', () => {
      const view = semaphoreView(P, [lockEntry(record(2, A, B)), contender(A, false), contender(B)], 20);
      const plan = planAcquire(view, A, 2);
      expect(plan.kind).to.equal('take');
      if (plan.kind === 'take') expect([...plan.write.record.holders.keys()].sort()).to.deep.equal([A, B]);
    });

    it('a limit that disagrees with the stored one is a failure naming both; an absent or equal one is not', () => {
      const view = semaphoreView(P, [lockEntry(record(3, A)), contender(A)], 20);
      const conflict = limitConflict(view, 2);
      expect(conflict?.message).to.match(/^The semaphore sem\/x has limit 3 \(in sem\/x\/\.lock\), but this task asks for limit 2\. .*"semaphore limit conflict \(lock: 3, local: 2\)"/);
      expect(conflict?.details).to.deep.equal({ limit: 3, requested_limit: 2 });
      expect(limitConflict(view, 3)).to.equal(undefined);
      expect(limitConflict(view, undefined)).to.equal(undefined);
      expect(limitConflict(semaphoreView(P, [], 1), 5)).to.equal(undefined);
    });
  });

  describe('release and cleanup', () => {
    it('removes only its own entry, keeping the others (dead ones too: that is for the next acquire)', () => {
      const view = semaphoreView(P, [lockEntry(record(3, A, B, C), 30), contender(A), contender(B), contender(C, false)], 31);
      const write = planRelease(view, A);
      expect(write).to.include({ key: `${P}/.lock`, cas: 30, value: `{"Limit":3,"Holders":{"${B}":true,"${C}":true}}` });
      expect(planRelease(semaphoreView(P, [lockEntry(record(3, B)), contender(B)], 31), A)).to.equal(undefined);
    });

    it('deletes .lock (CAS) when no live holder is left, as the CLI does, and keeps it otherwise', () => {
      expect(planCleanup(semaphoreView(P, [lockEntry(record(2, C), 40), contender(C, false)], 41))).to.deep.equal({ key: `${P}/.lock`, cas: 40 });
      expect(planCleanup(semaphoreView(P, [lockEntry(record(2, B), 40), contender(B)], 41))).to.equal(undefined);
      expect(planCleanup(semaphoreView(P, [], 41))).to.equal(undefined);
    });
  });
});
