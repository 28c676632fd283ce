import { expect } from 'chai';
import type { SessionSpec } from '../../src/consul_session/params';
import { matchesSpec, planPresent, settleAfterCreate } from '../../src/consul_session/plan';
import type { ConsulSession } from '../../src/shared/sessions';

const spec: SessionSpec = { name: 'lock', behavior: 'release', lockDelayNs: 15e9 };

let nextIndex = 10;
function session(overrides: Partial<ConsulSession> = {}): ConsulSession {
  nextIndex += 1;
  return {
    ID: `00000000-0000-0000-0000-${String(nextIndex).padStart(12, '0')}`,
    Name: 'lock',
    Node: 'n1',
    LockDelay: 15e9,
    Behavior: 'release',
    TTL: '',
    NodeChecks: ['serfHealth'],
    ServiceChecks: null,
    CreateIndex: nextIndex,
    ModifyIndex: nextIndex,
    ...overrides,
  };
}

describe('plan: does an existing session match?', () => {
  it('matches Consul defaults when nothing special is asked', () => {
    expect(matchesSpec(session(), spec)).to.equal(true);
  });

  it('compares TTLs by duration, not by spelling', () => {
    expect(matchesSpec(session({ TTL: '1m0s' }), { ...spec, ttlNs: 60e9 })).to.equal(true);
    expect(matchesSpec(session({ TTL: '60s' }), { ...spec, ttlNs: 30e9 })).to.equal(false);
    expect(matchesSpec(session({ TTL: '' }), { ...spec, ttlNs: 30e9 })).to.equal(false);
  });

  it('sees drift in behavior, lock delay and checks', () => {
    expect(matchesSpec(session({ Behavior: 'delete' }), spec)).to.equal(false);
    expect(matchesSpec(session({ LockDelay: 20e9 }), spec)).to.equal(false);
    expect(matchesSpec(session(), { ...spec, checks: ['service:web'] })).to.equal(false);
  });

  it('treats checks as a set, wherever Consul filed them', () => {
    const s = session({ NodeChecks: ['b', 'a'] });
    expect(matchesSpec(s, { ...spec, checks: ['a', 'b'] })).to.equal(true);
    expect(matchesSpec(s, { ...spec, nodeChecks: ['a'], checks: ['b'] })).to.equal(true);
  });

  it('compares service checks with their namespace', () => {
    const s = session({ NodeChecks: [], ServiceChecks: [{ ID: 'web', Namespace: '' }] });
    expect(matchesSpec(s, { ...spec, nodeChecks: [], serviceChecks: [{ id: 'web', namespace: '' }] })).to.equal(true);
    expect(matchesSpec(s, { ...spec, nodeChecks: [], serviceChecks: [{ id: 'db', namespace: '' }] })).to.equal(false);
  });

  it('expects serfHealth when only service checks are given, as Consul adds it then', () => {
    const s = session({ ServiceChecks: [{ ID: 'web', Namespace: '' }] });
    expect(matchesSpec(s, { ...spec, serviceChecks: [{ id: 'web', namespace: '' }] })).to.equal(true);
  });
});

describe('plan: present', () => {
  it('creates when nothing of that name exists', () => {
    expect(planPresent([], spec)).to.deep.equal({ action: 'create', replace: [] });
  });

  it('keeps a matching session and changes nothing', () => {
    const s = session();
    expect(planPresent([s], spec)).to.deep.equal({ action: 'keep', keep: s, duplicates: [], others: [] });
  });

  it('replaces drifted sessions: create first, then destroy them', () => {
    const old = session({ LockDelay: 1e9 });
    expect(planPresent([old], spec)).to.deep.equal({ action: 'create', replace: [old] });
  });

  it('keeps the oldest of several matching sessions and reports the rest', () => {
    const older = session();
    const newer = session();
    const plan = planPresent([newer, older], spec);
    expect(plan).to.deep.equal({ action: 'keep', keep: older, duplicates: [newer], others: [] });
  });
});

describe('plan: settling a race after create', () => {
  it('keeps its own session when it is the oldest match', () => {
    const own = session();
    const later = session();
    expect(settleAfterCreate([later, own], own.ID, spec)).to.deep.equal({ keep: own, destroyOwn: false });
  });

  it('yields to an older matching session created by a racing run', () => {
    const racer = session();
    const own = session();
    expect(settleAfterCreate([own, racer], own.ID, spec)).to.deep.equal({ keep: racer, destroyOwn: true });
  });

  it('does not yield to an older session whose settings differ', () => {
    const drifted = session({ Behavior: 'delete' });
    const own = session();
    expect(settleAfterCreate([drifted, own], own.ID, spec)).to.deep.equal({ keep: own, destroyOwn: false });
  });
});
