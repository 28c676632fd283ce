// The one place where raw arguments become the typed Settings every other part works from:
// environment fallbacks → Ansible-style conversion and defaults → the generated JSON Schema (ajv) →
// Settings. Nothing after this point looks at raw input.
import type { ErrorObject } from 'ajv';
import type { AnsibleFlags, ModuleArgs } from '../shared/args';
import { convertObject, show } from '../shared/coerce';
import { ModuleFailure } from '../shared/errors';
import { applyEnvFallbacks } from '../shared/env';
import { OPTIONS, REQUIRED_IF, type ModuleParams, type State } from './generated/spec';
import validate from './generated/validate.js';
import { isIPv6 } from 'node:net';

export interface ConnectionSettings {
  /** scheme://host:port, the only origin any request goes to. */
  baseUrl: string;
  host: string;
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

/** What a session should look like; the part of the parameters that `present` compares and creates. */
export interface SessionSpec {
  name?: string;
  behavior: 'release' | 'delete';
  lockDelayNs: number;
  ttlNs?: number;
  checks?: string[];
  nodeChecks?: string[];
  serviceChecks?: Array<{ id: string; namespace: string }>;
}

export interface Settings {
  state: State;
  id?: string;
  name?: string;
  /** Given node (or, for state=node, the name standing in for it); the agent's own when absent. */
  node?: string;
  datacenter?: string;
  /**
   * Consul's read consistency mode (`?consistent` / `?stale`). present and absent decide what to change
   * from what they read, so for them a `stale` request is read from the leader instead (with a warning).
   */
  consistency: 'default' | 'consistent' | 'stale';
  session: SessionSpec;
  connection: ConnectionSettings;
  ansible: AnsibleFlags;
  /** Values that must never be printed (the token). */
  secrets: string[];
  warnings: string[];
  /** The parameters as Ansible would echo them under `invocation`, secrets replaced. */
  invocation: Record<string, unknown>;
}

const NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';

function ruleMessage(index: number): string | undefined {
  const rule = REQUIRED_IF[index];
  if (!rule) return undefined;
  const [key, value, required, any] = rule;
  return `${key} is ${value} but ${any ? 'any' : 'all'} of the following are missing: ${required.join(', ')}`;
}

function limitPhrase(error: ErrorObject): string {
  const limit = (error.params as { limit?: number }).limit;
  if (error.keyword === 'minimum') return `at least ${limit}`;
  if (error.keyword === 'maximum') return `at most ${limit}`;
  return `greater than ${limit}`;
}

/** Turns ajv's errors into Ansible's wording, naming the parameter and what it accepts. */
function explain(error: ErrorObject, raw: Record<string, unknown>): string | undefined {
  const rule = /^#\/allOf\/(\d+)\//.exec(error.schemaPath);
  if (rule) return error.keyword === 'if' ? undefined : ruleMessage(Number(rule[1]));
  const path = error.instancePath.split('/').slice(1);
  const param = path[0] ?? '';
  const spec = OPTIONS[param];
  const given = raw[param];
  switch (error.keyword) {
    case 'enum':
      return `value of ${param} must be one of: ${spec?.choices?.join(', ')}, got: ${show(given)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum': {
      const unit = spec?.type === 'duration' ? ' seconds' : '';
      return `value of ${param} must be ${limitPhrase(error)}${unit}, got: ${show(given)}`;
    }
    case 'pattern':
      return `value of ${param} ${spec?.patternMessage ?? `must match ${error.params.pattern}`}, got: ${JSON.stringify(show(given))}`;
    default:
      return `argument '${path.join('.')}' ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Runs the generated schema over the converted values. Parameters that could not be converted were
 * already reported; errors that only follow from their absence (a required_if naming them) are not.
 */
function validateParams(params: Record<string, unknown>, raw: Record<string, unknown>): string[] {
  const unconverted = Object.keys(params).filter((key) => params[key] === undefined && raw[key] != null);
  const present = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
  if (validate(present)) return [];
  const messages = (validate.errors ?? [])
    .filter((error) => {
      const rule = /^#\/allOf\/(\d+)\//.exec(error.schemaPath);
      const required = rule ? REQUIRED_IF[Number(rule[1])]?.[2] ?? [] : [];
      return !required.some((key) => unconverted.includes(key));
    })
    .map((error) => explain(error, raw))
    .filter((m): m is string => !!m);
  return [...new Set(messages)];
}

/** One message for every problem found; Ansible's own wording for each. */
function joinErrors(errors: string[]): string {
  return errors.length === 1 ? (errors[0] as string) : errors.map((e) => e.replace(/\.$/, '')).join('; ');
}

/**
 * The host becomes part of the base URL: anything that could add a port, path, query, fragment or user
 * to it (and so send requests, and the token, elsewhere) is refused. IPv6 with or without brackets.
 */
const HOST_NAME = /^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$/u;

function hostErrors(host: string): string[] {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // Only an address with a colon can be IPv6; net.isIPv6's first call costs ~5 ms of regex set-up.
  if (bare.includes(':') ? isIPv6(bare) : HOST_NAME.test(host)) return [];
  return [`value of host must be a host name or an IP address, without scheme, port or path, got: ${JSON.stringify(show(host))}`];
}

function connectionOf(p: ModuleParams): ConnectionSettings {
  const hostInUrl = p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host;
  return {
    baseUrl: `${p.scheme}://${hostInUrl}:${p.port}`,
    host: p.host,
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

function invocationOf(p: ModuleParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(OPTIONS)) {
    const value = (p as unknown as Record<string, unknown>)[key];
    args[key] = spec.noLog && value !== undefined ? NO_LOG_PLACEHOLDER : value ?? null;
  }
  return { module_args: args };
}

/** present and absent decide what to change from what they read: never from a possibly stale answer. */
function readConsistency(p: ModuleParams): Settings['consistency'] {
  return p.consistency === 'stale' && (p.state === 'present' || p.state === 'absent') ? 'default' : p.consistency;
}

function warningsOf(p: ModuleParams): string[] {
  const warnings: string[] = [];
  if (p.scheme === 'https' && !p.validate_certs) {
    warnings.push(`validate_certs is false: the TLS certificate of the Consul agent at ${p.host}:${p.port} is not verified.`);
  }
  if (readConsistency(p) !== p.consistency) {
    warnings.push(`consistency=stale applies to the read-only states (info, node, list); state=${p.state} read from the leader.`);
  }
  if (p.state === 'present' && p.name === undefined && p.id === undefined) {
    warnings.push('state=present without name or id creates a new session on every run; give a name to make it idempotent.');
  }
  return warnings;
}

export function toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const errors: string[] = [];
  const raw = applyEnvFallbacks(args.params, env, errors);
  // The classic module read `name` as the node for state=node; keep that working.
  if (raw.state === 'node' && raw.node == null && raw.name != null) raw.node = raw.name;
  const converted = convertObject(raw, OPTIONS, errors, env, []);
  errors.push(...validateParams(converted, raw));
  if (typeof converted.host === 'string') errors.push(...hostErrors(converted.host));
  // The node name is percent-encoded into a URL path, which a lone UTF-16 surrogate cannot be.
  if (typeof converted.node === 'string' && /\p{Surrogate}/u.test(converted.node)) {
    errors.push(`value of node must be valid Unicode text, got one with a lone surrogate: ${JSON.stringify(show(converted.node))}`);
  }
  if (errors.length) throw new ModuleFailure(joinErrors(errors), errors.length > 1 ? { errors } : {});

  const p = converted as unknown as ModuleParams;
  return {
    state: p.state,
    id: p.id,
    name: p.name,
    node: p.node,
    datacenter: p.datacenter,
    consistency: readConsistency(p),
    session: {
      name: p.name,
      behavior: p.behavior,
      lockDelayNs: Math.round(p.delay * 1e9),
      ttlNs: p.ttl === undefined ? undefined : Math.round(p.ttl * 1e9),
      checks: p.checks,
      nodeChecks: p.node_checks,
      serviceChecks: p.service_checks,
    },
    connection: connectionOf(p),
    ansible: args.ansible,
    secrets: p.token ? [p.token] : [],
    warnings: warningsOf(p),
    invocation: invocationOf(p),
  };
}
