import type { TransportFailure } from './transport-errors';

/** A failure to report to the user as-is: the message already says what went wrong and how to fix it. */
export class ModuleFailure extends Error {
  override readonly name = 'ModuleFailure';
  constructor(
    message: string,
    /** Extra result keys that help the user, e.g. the errors of every invalid parameter. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What one request was and what came back of it, as far as anything did. */
export interface ConsulAnswer {
  request: { method: string; path: string };
  /** HTTP status, absent when no answer arrived (connection refused, timeout, TLS). */
  status?: number;
  /** Consul's own error text (it answers errors as plain text). */
  body?: string;
  /** Node's error code for transport failures, e.g. ECONNREFUSED. */
  code?: string;
  /** What became of the request when no complete answer arrived; the retry policy decides on it. */
  transport?: TransportFailure;
}

/**
 * Consul answered with an error, or could not be reached. One type for every request, like
 * module_utils/consul.py's RequestError: it carries what was asked and what came back. The message is
 * always "Could not <what>: <detail>"; both parts are kept, so a retry can reword it without parsing it.
 */
export class ConsulError extends ModuleFailure {
  readonly request: ConsulAnswer['request'];
  readonly status?: number;
  readonly body?: string;
  readonly code?: string;
  readonly transport?: TransportFailure;

  constructor(
    /** The action, worded to follow "Could not ", e.g. "read the key locks/deploy/.lock". */
    readonly what: string,
    /** What went wrong, and where it helps, how to fix it. */
    readonly detail: string,
    answer: ConsulAnswer,
  ) {
    super(`Could not ${what}: ${detail}`, answer.status === undefined ? {} : { status: answer.status });
    this.request = answer.request;
    this.status = answer.status;
    this.body = answer.body;
    this.code = answer.code;
    this.transport = answer.transport;
  }
}
