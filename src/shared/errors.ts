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

/**
 * Consul answered with an error, or could not be reached. One type for every request, like
 * module_utils/consul.py's RequestError: it carries what was asked and what came back.
 */
export class ConsulError extends ModuleFailure {
  constructor(
    message: string,
    readonly request: { method: string; path: string },
    /** HTTP status, absent when no answer arrived (connection refused, timeout, TLS). */
    readonly status?: number,
    /** Consul's own error text (it answers errors as plain text). */
    readonly body?: string,
    /** Node's error code for transport failures, e.g. ECONNREFUSED. */
    readonly code?: string,
    /** What became of the request when no complete answer arrived; the retry policy decides on it. */
    readonly transport?: TransportFailure,
  ) {
    super(message, status === undefined ? {} : { status });
  }
}
