// The retry policy, pure apart from the clock it is given: which failures are transient, how long to
// wait before the next attempt (full-jitter exponential backoff), and one budget per module run.
//
// The budget (retry_timeout) starts at the first transient failure of the run and bounds every retry
// after it: no attempt starts and no wait ends after start + budget. A request already on the wire may
// still take up to `timeout`, but a retry attempt is never given more than the time that is left
// (at least MIN_ATTEMPT_MS), so a run takes at most about max(timeout, retry_timeout) + 1 s longer.
import { ConsulError } from './errors';
import type { TransportFailure } from './transport-errors';

export const BASE_DELAY_MS = 250;
export const MAX_DELAY_MS = 2000;
/** A retry attempt near the end of the budget still gets this long to answer. */
export const MIN_ATTEMPT_MS = 1000;
/** A backstop only: the budget ends retries long before this many attempts. */
export const MAX_ATTEMPTS = 1000;

/**
 * No complete answer: whatever the connection did (refused, reset before or after the request went out,
 * an answer cut off half-way, a stall past `timeout`), waiting may heal it. transport-errors.ts tells
 * these from the permanent ones (TLS, DNS, an answer over the size limit).
 */
const TRANSPORT_CAUSE: Record<TransportFailure, (code: string | undefined) => string | undefined> = {
  refused: (code) => `connection refused (${code ?? 'ECONNREFUSED'})`,
  reset: (code) => `connection reset (${code ?? 'ECONNRESET'})`,
  'cut-short': (code) => `answer cut off${code ? ` (${code})` : ''}`,
  timeout: () => 'timeout',
  permanent: () => undefined,
};

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

/**
 * Consul's reasons for a 500 while the servers are between leaders (or a client agent has no server
 * yet), or when a connection between two agents broke under the request (a server restarting: Go's
 * network errors, and yamux's under Consul's RPC). Matched against the WHOLE reason once
 * "rpc error making call: " / "rpc error getting client: " wrappers are stripped: a client agent wraps
 * permanent errors the same way ("rpc error making call: Missing check 'x' registration"), so the
 * wrapper itself says nothing, and a check named "stream closed" must not turn a permanent error into a
 * transient one.
 */
const BETWEEN_LEADERS: readonly RegExp[] = [
  /^No cluster leader$/,
  /^stream closed$/,
  /^EOF$/,
  /^unexpected EOF$/,
  // Go's net.OpError: "write tcp 127.0.0.1:40632->127.0.0.1:8300: write: broken pipe" (seen in test/chaos).
  /^(?:read|write|dial) tcp[46]? \S+: /,
  /^(?:session shutdown|stream reset|i\/o deadline reached|connection write timeout|keepalive timeout)$/,
  /^failed to get conn: /,
  /^leadership lost\b/,
  /^node is not the leader$/,
  /^raft is already shutdown$/,
  /^No known Consul servers$/,
  /^Not ready to serve consistent reads$/,
];

/** The reason inside Consul's RPC wrappers, e.g. "No cluster leader". */
export function innerReason(body: string): string {
  let reason = body.trim();
  for (let i = 0; i < 8; i++) {
    const stripped = reason.replace(/^rpc error (?:making call|getting client): /, '');
    if (stripped === reason) break;
    reason = stripped;
  }
  return reason;
}

/** Short words for a transient failure (used in messages), or undefined when it must not be retried. */
export function transientCause(error: unknown): string | undefined {
  if (!(error instanceof ConsulError) || error instanceof RetriesExhausted) return undefined;
  if (error.status === undefined) return error.transport === undefined ? undefined : TRANSPORT_CAUSE[error.transport](error.code);
  if (TRANSIENT_STATUS.has(error.status)) return `HTTP ${error.status}`;
  if (error.status === 500 && error.body !== undefined) {
    const reason = innerReason(error.body);
    if (BETWEEN_LEADERS.some((pattern) => pattern.test(reason))) return reason.slice(0, 120);
  }
  return undefined;
}

/**
 * Transient failures after which a create certainly did NOT happen: the request never reached Consul,
 * or Consul refused it before any server applied it. A create without a name cannot be recognised
 * afterwards, so it is re-sent only after these. A reset is not one of them: the client cannot tell a
 * request lost on the way from an answer lost on the way back; an answer cut off half-way even proves
 * Consul handled it; and a timeout may hide a create that a server applied.
 */
export function certainlyNotApplied(error: unknown): string | undefined {
  const cause = transientCause(error);
  if (cause === undefined || !(error instanceof ConsulError)) return undefined;
  if (error.status === undefined) return error.transport === 'refused' ? cause : undefined;
  if (error.status === 429 || error.status === 503) return cause;
  return error.status === 500 && /^No (cluster leader|known Consul servers)$/.test(innerReason(error.body ?? '')) ? cause : undefined;
}

/** Full jitter: a uniformly random wait in [0, min(cap, base · 2^(retry-1))). `retry` counts from 1. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(Math.max(retry - 1, 0), 16));
  return Math.floor(random() * ceiling);
}

/** The last failure of an operation whose retries ran out. Never retried again by an outer loop. */
export class RetriesExhausted extends ConsulError {}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

/** Date.now and setTimeout, looked up at call time so sinon's fake timers replace them in tests. */
export const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** One operation that needed more than one attempt, for the run's warnings. */
export interface RetryEvent {
  what: string;
  attempts: number;
  elapsedMs: number;
  cause: string;
  succeeded: boolean;
}

export interface AttemptInfo {
  /** 1 for the first attempt. */
  attempt: number;
  /** Time left in the budget once it has started; undefined before the first transient failure. */
  remainingMs: number | undefined;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class RetryBudget {
  /** When the budget runs out: set at the first transient failure of the run. */
  private deadline: number | undefined;
  readonly events: RetryEvent[] = [];
  private readonly adopted: RetryBudget[] = [];

  constructor(
    /** retry_timeout in ms; 0 turns retries off. */
    readonly totalMs: number,
    private readonly clock: RetryClock = realClock,
  ) {}

  /** Time left once the budget has started; undefined before that. */
  remainingMs(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - this.clock.now());
  }

  /**
   * Runs `attempt` until it succeeds, fails with an error `retryable` does not name, or the budget is
   * spent. `what` is the action as ConsulError words it (after "Could not "); on giving up the last error
   * is rethrown as RetriesExhausted with how often and how long it was tried.
   */
  async run<T>(
    what: string,
    attempt: (info: AttemptInfo) => Promise<T>,
    retryable: (error: unknown) => string | undefined = transientCause,
  ): Promise<T> {
    const started = this.clock.now();
    let cause: string | undefined;
    // Bounded: every retry needs budget left, which only shrinks; MAX_ATTEMPTS guards a clock that stands still.
    for (let n = 1; ; n++) {
      const attemptStarted = this.clock.now();
      try {
        const value = await attempt({ attempt: n, remainingMs: this.remainingMs() });
        if (n > 1) this.events.push({ what, attempts: n, elapsedMs: this.clock.now() - started, cause: cause ?? '', succeeded: true });
        return value;
      } catch (error) {
        cause = this.totalMs > 0 ? retryable(error) : undefined;
        if (cause === undefined) throw error;
        this.deadline ??= attemptStarted + this.totalMs;
        const left = this.deadline - this.clock.now();
        if (left <= 0 || n >= MAX_ATTEMPTS) throw this.exhausted(error as ConsulError, what, n, started, cause);
        await this.clock.sleep(Math.min(backoffMs(n, () => this.clock.random()), left));
        if (this.deadline - this.clock.now() <= 0) throw this.exhausted(error as ConsulError, what, n, started, cause);
      }
    }
  }

  /** Budgets made for single requests (each request of consul_lock's wait has one) report with the run's. */
  adopt(budget: RetryBudget): void {
    this.adopted.push(budget);
  }

  /** Warnings for operations that succeeded only after retrying. */
  summary(): string[] {
    return [...this.events, ...this.adopted.flatMap((budget) => budget.events)]
      .filter((e) => e.succeeded)
      .map((e) => `Consul was unavailable (${e.cause}); '${e.what}' succeeded on attempt ${e.attempts} after ${seconds(e.elapsedMs)}.`);
  }

  private exhausted(error: ConsulError, what: string, attempts: number, started: number, cause: string): RetriesExhausted {
    const elapsedMs = this.clock.now() - started;
    this.events.push({ what, attempts, elapsedMs, cause, succeeded: false });
    // The last error's own action may be narrower than `what` (one request of a longer operation): keep it.
    const last = error.what === what ? error.detail : error.message;
    const detail =
      `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${seconds(elapsedMs)} ` +
      `(retry_timeout is ${this.totalMs / 1000} s): ${cause}. Last error: ${last}`;
    return new RetriesExhausted(what, detail, error);
  }
}
