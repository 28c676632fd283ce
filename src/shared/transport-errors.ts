// Errors below HTTP (no complete answer) in words a user can act on: which host and port, what went
// wrong, and which parameter fixes it; and what happened to the request, which the retry policy and a
// create's "did it happen?" recovery decide on. That is read from what the client saw (did a
// connection open, did an answer begin, did a timer fire), not from one error code: one code can mean
// both (axios's ERR_BAD_RESPONSE was an answer cut off and one too large; a reset is ECONNRESET before
// and after the answer began).
import type { ConnectionSettings } from './connection';

/** What became of a request that got no complete answer. */
export type TransportFailure =
  /** No connection was made, so the request was never sent. */
  | 'refused'
  /** The connection died before any answer: the request may or may not have reached Consul. */
  | 'reset'
  /** An answer began but the connection died before its end: Consul received and handled the request. */
  | 'cut-short'
  /** No complete answer within `timeout`: the request may have reached Consul. */
  | 'timeout'
  /** Waiting does not help: TLS, name resolution, an answer over the size limit, not HTTP at all. */
  | 'permanent';

/** OpenSSL's codes for a certificate that could not be verified against the trusted CAs. */
const UNVERIFIED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface TransportError {
  message: string;
  code?: string;
  failure: TransportFailure;
}

function errorFields(error: unknown): { code?: string; message: string; answerBegan: boolean } {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown }; response?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  // The adapter (http-adapter.ts), like axios's own, attaches the response once its head has arrived.
  const answerBegan = typeof e === 'object' && e !== null && e.response !== undefined && e.response !== null;
  return { code, message: typeof e?.message === 'string' ? e.message : String(error), answerBegan };
}

/** The connection closed under a request: Node's codes and the words it uses when it has no code. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function describeTransportError(error: unknown, connection: ConnectionSettings): TransportError {
  const { code, message, answerBegan } = errorFields(error);
  const at = `${connection.host}:${connection.port}`;
  const seconds = connection.timeoutMs / 1000;
  if (code === 'ECONNREFUSED') {
    return {
      code,
      failure: 'refused',
      message: `no Consul agent answers at ${at} (connection refused). Check host and port (or CONSUL_HTTP_ADDR) and that the agent is running.`,
    };
  }
  // The adapter's whole-request deadline says ETIMEDOUT ("timeout of … exceeded"). ERR_CANCELED and a
  // message with "timeout" are what axios says for an aborted request or its own timer.
  if (code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || /timeout/i.test(message)) {
    const asCode = code === undefined || code === 'ERR_CANCELED' ? 'ETIMEDOUT' : code;
    return { code: asCode, failure: 'timeout', message: `Consul at ${at} did not answer within ${seconds} s (timeout).` };
  }
  const permanent = describePermanent(code, message, connection);
  if (permanent) return { ...permanent, failure: 'permanent' };
  if (answerBegan) {
    return { code, failure: 'cut-short', message: `the answer from ${at} was cut off before its end (${code ? `${code}: ` : ''}${message}).` };
  }
  if ((code !== undefined && CONNECTION_LOST.has(code)) || /socket hang up/i.test(message)) {
    return { code: code ?? 'ECONNRESET', failure: 'reset', message: `the connection to ${at} was closed by the other side (${message}).` };
  }
  return { code, failure: 'permanent', message: `the request to ${at} failed (${code ? `${code}: ` : ''}${message}).` };
}

/** Failures that waiting does not heal, in words that name the parameter to fix; undefined for the others. */
function describePermanent(code: string | undefined, message: string, connection: ConnectionSettings): Omit<TransportError, 'failure'> | undefined {
  const at = `${connection.host}:${connection.port}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { code, message: `the host name ${connection.host} could not be resolved (${code}).` };
  }
  if (code !== undefined && UNVERIFIED_CERTIFICATE.has(code)) {
    return {
      code,
      message:
        `the TLS certificate of the Consul agent at ${at} could not be verified (${code}: ${message}). ` +
        'Give the CA that signed it with ca_path (or CONSUL_CACERT); validate_certs: false skips the check but is not safe.',
    };
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return { code, message: `the agent at ${at} does not speak TLS (${message}); set scheme: http, or use its HTTPS port.` };
  }
  if (/certificate required|bad certificate|handshake failure|alert/i.test(message)) {
    return {
      code,
      message:
        `the agent at ${at} refused the TLS handshake (${message}); it probably requires a client certificate: ` +
        'give client_cert and client_key (or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY).',
    };
  }
  // A reset during the TLS handshake: no request was sent, but resets there mean a TLS mismatch more
  // often than a blip, and a mismatch does not heal by waiting.
  if (/before secure TLS connection/i.test(message)) {
    return { code, message: `the agent at ${at} closed the connection during the TLS handshake (${message}); check scheme, ca_path and client_cert.` };
  }
  if (/maxContentLength/i.test(message)) {
    return { code, message: `the answer from ${at} is larger than the limit this module accepts (${message}).` };
  }
  if (code?.startsWith('HPE_')) {
    return { code, message: `the answer from ${at} is not HTTP (${code}: ${message}); is it a Consul agent's HTTP port?` };
  }
  return undefined;
}
