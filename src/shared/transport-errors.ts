// Errors below HTTP (no answer at all) in words a user can act on: which host and port, what went
// wrong, and which parameter fixes it.
import type { ConnectionSettings } from './connection';

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
}

function errorFields(error: unknown): { code?: string; message: string } {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  return { code, message: typeof e?.message === 'string' ? e.message : String(error) };
}

export function describeTransportError(error: unknown, connection: ConnectionSettings): TransportError {
  const { code, message } = errorFields(error);
  const at = `${connection.host}:${connection.port}`;
  const seconds = connection.timeoutMs / 1000;
  if (code === 'ECONNREFUSED') {
    return {
      code,
      message: `no Consul agent answers at ${at} (connection refused). Check host and port (or CONSUL_HTTP_ADDR) and that the agent is running.`,
    };
  }
  // ERR_CANCELED: the whole-request deadline (consul.ts) aborted an answer that was still trickling in.
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || /timeout/i.test(message)) {
    const asCode = code === undefined || code === 'ERR_CANCELED' ? 'ETIMEDOUT' : code;
    return { code: asCode, message: `Consul at ${at} did not answer within ${seconds} s (timeout).` };
  }
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
  if (code === 'ECONNRESET' || /socket hang up/i.test(message)) {
    return { code: code ?? 'ECONNRESET', message: `the connection to ${at} was closed by the other side (${message}).` };
  }
  if (/maxContentLength/i.test(message)) {
    return { code, message: `the answer from ${at} is larger than the limit this module accepts (${message}).` };
  }
  return { code, message: `the request to ${at} failed (${code ? `${code}: ` : ''}${message}).` };
}
