// state=renewed with keep_alive, as Ansible runs it (async, poll: 0): refuse to block a play, renew once,
// hand the session to the keeper loop (keeper.ts) with signals wired to its stop switch, and say in the
// result why it ended. The result is the module's one JSON object, read by async_status.
import { ModuleFailure } from '../shared/errors';
import { parseDurationNs } from '../shared/duration';
import type { ModuleResult } from '../shared/result';
import { RetryBudget } from '../shared/retry';
import type { ConsulSession } from '../shared/sessions';
import type { Context } from './context';
import { keepAlive, type KeeperOutcome, type StopSwitch } from './keeper';

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const ttlMsOf = (session: ConsulSession) => (session.TTL ? (parseDurationNs(session.TTL) ?? 0) / 1e6 : undefined);

/** A keeper outside async would hold the play for up to keep_alive: refused before any request. */
export function refuseForeground(ctx: Context): void {
  const { keepAliveMs, inBackground, ansible } = ctx.settings;
  if (keepAliveMs === undefined || inBackground || ansible.checkMode) return;
  const s = keepAliveMs / 1000;
  throw new ModuleFailure(
    `keep_alive keeps renewing for up to ${s} s, so this task must run in the background: add async: ${Math.ceil(s) + 60} ` +
      '(at least keep_alive) and poll: 0 to it, and read its result later with async_status.',
  );
}

/** SIGTERM and SIGINT end the keeper cleanly, with a result; the handlers go once it has ended. */
function stopOnSignals(): { stop: StopSwitch; release: () => void } {
  let fire: () => void = () => undefined;
  const stop: StopSwitch = { stopped: new Promise<void>((resolve) => (fire = resolve)) };
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((signal) => {
    const handler = () => {
      stop.signal ??= signal;
      fire();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return { stop, release: () => handlers.forEach(([signal, handler]) => process.off(signal, handler)) };
}

function words(id: string, outcome: KeeperOutcome, renewals: number, keepAliveMs: number, signal?: string): { msg: string; warning?: string } {
  const kept = `Kept session ${id} alive for ${seconds(outcome.keptMs)} s with ${renewals} renewal${renewals === 1 ? '' : 's'}`;
  const lapse = `Consul invalidates it, releasing its locks, within 2 x TTL (${seconds(2 * outcome.ttlMs)} s) unless it is renewed`;
  switch (outcome.ended) {
    case 'session_gone':
      return { msg: `${kept}; the session no longer exists (destroyed, or invalidated), so the keeper ended.` };
    case 'keep_alive_over':
      return {
        msg: `${kept}; keep_alive (${keepAliveMs / 1000} s) is over.`,
        warning: `keep_alive (${keepAliveMs / 1000} s) ran out while session ${id} still existed: ${lapse}. Raise keep_alive if the work can take longer.`,
      };
    case 'signal':
      return { msg: `${kept}; stopped by ${signal}.`, warning: `The keeper of session ${id} was stopped by ${signal}: ${lapse} or destroyed.` };
    case 'consul_unreachable':
      return {
        msg: `${kept}; then could not renew it for ${seconds(outcome.outageMs ?? 0)} s, longer than its TTL, and gave up.`,
        warning:
          `Could not renew session ${id} for ${seconds(outcome.outageMs ?? 0)} s, longer than its TTL (${seconds(outcome.ttlMs)} s): ` +
          'Consul invalidates a session it has not heard from for 1 to 2 TTLs, so the locks it held may have been lost. Check that ' +
          `the lock is still held (consul_lock state: info) before any step that needs it. Last error: ${outcome.lastError ?? 'none'}`,
      };
  }
}

export async function keeper(ctx: Context, sessions: ConsulSession[], what: string): Promise<ModuleResult> {
  const { settings, api, warnings } = ctx;
  const keepAliveMs = settings.keepAliveMs as number;
  if (sessions.length > 1) {
    throw new ModuleFailure(`keep_alive keeps one session alive, but there are ${sessions.length} of ${what}: give the session's id instead.`);
  }
  const { ID: id, Node: node } = sessions[0] as ConsulSession;
  const { stop, release } = stopOnSignals();
  try {
    let session = await api.renew(id, { aclNode: node });
    if (!session) throw new ModuleFailure(`Cannot keep session ${id} alive: it does not exist (its TTL ran out, or it was destroyed).`);
    const base = { session_id: id, name: settings.name ?? session.Name, node: session.Node, keep_alive: keepAliveMs / 1000 };
    const firstTtlMs = ttlMsOf(session);
    if (firstTtlMs === undefined) {
      warnings.push(`Session ${id} has no TTL: it lives until it is destroyed, so there is nothing to keep alive.`);
      return { ...base, changed: false, session, sessions: [session], ttl: null, ended: 'no_ttl', renewals: 0, kept_for: 0, msg: `Session ${id} has no TTL; the keeper ended at once.` };
    }
    let index = 0;
    const outcome = await keepAlive({ keepAliveMs, ttlMs: firstTtlMs }, {
      renew: async (budgetMs) => {
        const answer = await api.renew(id, { budget: api.ownBudget(budgetMs), aclNode: node });
        if (!answer) return null;
        session = answer;
        return { ttlMs: ttlMsOf(answer) };
      },
      watch: async (waitMs) => {
        const seen = await api.watch(id, index, waitMs, { budget: new RetryBudget(0) });
        index = seen.index;
        return seen.exists;
      },
    }, stop);
    const renewals = outcome.renewals + 1;
    const { msg, warning } = words(id, outcome, renewals, keepAliveMs, stop.signal);
    if (warning) warnings.push(warning);
    return {
      ...base,
      changed: true,
      session: outcome.ended === 'session_gone' ? null : session,
      sessions: outcome.ended === 'session_gone' ? [] : [session],
      ttl: seconds(outcome.ttlMs),
      renew_every: seconds(outcome.ttlMs / 2),
      ended: outcome.ended,
      renewals,
      kept_for: seconds(outcome.keptMs),
      msg,
    };
  } finally {
    release();
  }
}
