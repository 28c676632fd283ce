// The check-mode rule for a null session (shared/pending-session.ts) against the modules' own parameter
// tables: where a state needs the session it stands in for the pending one (check mode) or fails (a real
// run); where it does not, a null is simply not given; and the stand-in never shows in a result.
import { expect } from 'chai';
import { TABLE as LOCK } from '../../src/consul_lock/params';
import { TABLE as SESSION } from '../../src/consul_session/params';
import { PENDING_SESSION, pendingSession, reportPending } from '../../src/shared/pending-session';

const flags = (checkMode: boolean) => ({ checkMode, diff: false, noLog: false, verbosity: 0 });

describe('a null session in check mode (shared/pending-session.ts)', () => {
  it('stands in where the state needs it, null or blank, the default state included', () => {
    for (const raw of [{ key: 'k', session: null }, { key: 'k', session: '' }, { key: 'k', session: '  ', state: 'released' }]) {
      const params: Record<string, unknown> = { ...raw };
      expect(pendingSession(LOCK, params, flags(true), 'session'), JSON.stringify(raw)).to.equal(true);
      expect(params.session).to.equal(PENDING_SESSION);
    }
    const absent: Record<string, unknown> = { id: null, state: 'absent' };
    expect(pendingSession(SESSION, absent, flags(true), 'id')).to.equal(true);
  });

  it('is read as not given where the state does not need it (or an alternative to it is given)', () => {
    for (const [table, param, raw] of [
      [LOCK, 'session', { key: 'k', session: null, state: 'info' }],
      [SESSION, 'id', { id: '', name: 'deploy', state: 'absent' }],
      [SESSION, 'id', { id: null, name: 'deploy' }],
    ] as const) {
      const params: Record<string, unknown> = { ...raw };
      expect(pendingSession(table, params, flags(true), param), JSON.stringify(raw)).to.equal(false);
      expect(params).not.to.have.property(param);
    }
  });

  it('leaves a real session alone, and fails a real run that has none, naming the parameter and the cause', () => {
    const real: Record<string, unknown> = { key: 'k', session: '0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e' };
    expect(pendingSession(LOCK, real, flags(true), 'session')).to.equal(false);
    expect(real.session).to.equal('0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e');
    expect(() => pendingSession(LOCK, { key: 'k', session: null }, flags(false), 'session')).to.throw(
      /^session is null: consul_lock needs the ID of an existing session here\. consul_session reports session_id null when it ran in check mode, failed or was skipped/,
    );
  });

  it('a result shows null for the stand-in, names it in text, and says it was pending', () => {
    const result = reportPending(
      { changed: true, holder: PENDING_SESSION, holders: ['a', PENDING_SESSION], warnings: [`The lock is held by ${PENDING_SESSION}'s rival`] },
      'session',
    );
    expect(result).to.deep.include({ changed: true, holder: null, holders: ['a', null], pending_session: true });
    expect(result.warnings).to.deep.equal([
      'In check mode, session null stands for the session consul_session would create; reported as if this task had it.',
      "The lock is held by (the session a real run creates)'s rival",
    ]);
  });
});
