// The connection options every module shares (src/shared/connection.yml): how the validated values
// become the one ConnectionSettings the Consul client is built from, and the checks and warnings that
// belong to them whichever module runs.
import { isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { show } from './coerce';
import type { ConnectionParams } from './generated/connection';

export type { ConnectionParams };

export interface ConnectionSettings {
  /** scheme://host:port, the only origin any request goes to. */
  baseUrl: string;
  /** As given: what messages name. */
  host: string;
  /** What is connected to and sent as Host: a name that is not ASCII in its IDNA (punycode) form. */
  address?: string;
  port: number;
  scheme: 'http' | 'https';
  validateCerts: boolean;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
  timeoutMs: number;
  /** retry_timeout in ms: how long transient failures are retried, counted from the first one; 0 = never. */
  retryTimeoutMs?: number;
}

/**
 * The host becomes part of the base URL: anything that could add a port, path, query, fragment or user
 * to it (and so send requests, and the token, elsewhere) is refused. IPv6 with or without brackets.
 */
/**
 * Letters and digits of any script, `_` and `-`, in dot-separated labels. The Unicode pattern is built
 * from a string, only for a name that is not ASCII: V8 checks a regex literal while parsing the bundle,
 * and for \p{…} that means building the classes from ICU tables, ~1 ms of every run (callgrind).
 */
function isHostName(host: string): boolean {
  return (
    /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/.test(host) ||
    new RegExp(String.raw`^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$`, 'u').test(host)
  );
}

/** A host name that is not ASCII goes on the wire in its IDNA form; '' when it has none. */
const asciiHost = (host: string) => (/^[\x21-\x7e]*$/.test(host) ? host : domainToASCII(host));

export function hostErrors(host: unknown): string[] {
  if (typeof host !== 'string') return [];
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // Only an address with a colon can be IPv6; net.isIPv6's first call costs ~5 ms of regex set-up.
  if (bare.includes(':') ? isIPv6(bare) : isHostName(host) && asciiHost(host) !== '') return [];
  return [`value of host must be a host name or an IP address, without scheme, port or path, got: ${JSON.stringify(show(host))}`];
}

export function connectionOf(p: ConnectionParams): ConnectionSettings {
  const hostInUrl = p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host;
  return {
    baseUrl: `${p.scheme}://${hostInUrl}:${p.port}`,
    host: p.host,
    address: p.host.includes(':') ? p.host : asciiHost(p.host),
    port: p.port,
    scheme: p.scheme,
    validateCerts: p.validate_certs,
    caPath: p.ca_path,
    clientCert: p.client_cert,
    clientKey: p.client_key,
    token: p.token,
    timeoutMs: Math.round(p.timeout * 1000),
    retryTimeoutMs: Math.round(p.retry_timeout * 1000),
  };
}

/** The token travels in a header, which can carry printable ASCII only; never echoed (it is a secret). */
export function tokenErrors(token: unknown): string[] {
  if (typeof token !== 'string' || /^[\x20-\x7e]*$/.test(token)) return [];
  return ['value of token must be printable ASCII (an ACL token is a UUID or a secret ID of such characters); it was not, and is not shown'];
}

export function connectionWarnings(p: ConnectionParams): string[] {
  if (p.scheme === 'https' && !p.validate_certs) {
    return [`validate_certs is false: the TLS certificate of the Consul agent at ${p.host}:${p.port} is not verified.`];
  }
  return [];
}
