// The one path from raw arguments to a module's typed parameters: environment fallbacks → Ansible-style
// conversion and defaults → the module's generated JSON Schema (ajv) → checks no schema can express.
// Every problem is collected and reported in one failure, in Ansible's wording. Nothing after this point
// looks at raw input.
import type { ErrorObject } from 'ajv';
import type { AnsibleFlags, ModuleArgs } from './args';
import { convertObject, show } from './coerce';
import { connectionOf, connectionWarnings, hostErrors, tokenErrors, type ConnectionParams, type ConnectionSettings } from './connection';
import { applyEnvFallbacks } from './env';
import { ModuleFailure } from './errors';
import type { ParameterTable } from './option-spec';

const NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';

/** What every module's Settings carries besides its own fields. */
export interface CommonSettings {
  connection: ConnectionSettings;
  datacenter?: string;
  ansible: AnsibleFlags;
  /** Values that must never be printed (the token). */
  secrets: string[];
  warnings: string[];
  /** The parameters as Ansible would echo them under `invocation`, secrets replaced. */
  invocation: Record<string, unknown>;
}

/** Ansible's wording of a broken required_if rule: it names only the parameters that are missing. */
function ruleMessage(table: ParameterTable, index: number, present: Record<string, unknown>): string | undefined {
  const rule = table.requiredIf[index];
  if (!rule) return undefined;
  const [key, value, required, any] = rule;
  const missing = required.filter((name) => present[name] === undefined);
  return `${key} is ${value} but ${any ? 'any' : 'all'} of the following are missing: ${missing.join(', ')}`;
}

function limitPhrase(error: ErrorObject): string {
  const limit = (error.params as { limit?: number }).limit;
  if (error.keyword === 'minimum') return `at least ${limit}`;
  if (error.keyword === 'maximum') return `at most ${limit}`;
  return `greater than ${limit}`;
}

/** Turns ajv's errors into Ansible's wording, naming the parameter and what it accepts. */
function explain(table: ParameterTable, error: ErrorObject, raw: Record<string, unknown>, present: Record<string, unknown>): string | undefined {
  const rule = /^#\/allOf\/(\d+)\//.exec(error.schemaPath);
  if (rule) return error.keyword === 'if' ? undefined : ruleMessage(table, Number(rule[1]), present);
  const path = error.instancePath.split('/').slice(1);
  const param = path[0] ?? '';
  const spec = table.options[param];
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
function validateParams(table: ParameterTable, params: Record<string, unknown>, raw: Record<string, unknown>): string[] {
  const unconverted = Object.keys(params).filter((key) => params[key] === undefined && raw[key] != null);
  const present = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
  const { validate } = table;
  if (validate(present)) return [];
  const messages = (validate.errors ?? [])
    // A required parameter that is missing was already reported, in Ansible's words, by convertObject.
    .filter((error) => !(error.keyword === 'required' && error.instancePath === '' && table.options[(error.params as { missingProperty: string }).missingProperty]?.required))
    .filter((error) => {
      const rule = /^#\/allOf\/(\d+)\//.exec(error.schemaPath);
      const required = rule ? table.requiredIf[Number(rule[1])]?.[2] ?? [] : [];
      return !required.some((key) => unconverted.includes(key));
    })
    .map((error) => explain(table, error, raw, present))
    .filter((m): m is string => !!m);
  return [...new Set(messages)];
}

/** One message for every problem found; Ansible's own wording for each. */
function joinErrors(errors: string[]): string {
  return errors.length === 1 ? (errors[0] as string) : errors.map((e) => e.replace(/\.$/, '')).join('; ');
}

/** encodeURIComponent throws on a lone UTF-16 surrogate: the very call a URL path needs. */
function isPercentEncodable(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A value that goes into a URL path is percent-encoded, which a lone UTF-16 surrogate cannot be. Not
 * /\p{Surrogate}/u: V8 builds a \p{…} class from ICU tables when the literal is parsed, on every run.
 */
export function surrogateErrors(params: Record<string, unknown>, names: readonly string[]): string[] {
  return names
    .filter((name) => typeof params[name] === 'string' && !isPercentEncodable(params[name]))
    .map((name) => `value of ${name} must be valid Unicode text, got one with a lone surrogate: ${JSON.stringify(show(params[name]))}`);
}

export interface ParseOptions {
  /** Adjusts the raw values before conversion (e.g. a legacy alias). */
  prepare?: (raw: Record<string, unknown>) => void;
  /** Module-specific checks of the converted values that the schema cannot express. */
  check?: (params: Record<string, unknown>) => string[];
}

/** Raw parameters → the module's typed parameters, or one ModuleFailure naming every problem. */
export function parseParameters<P extends ConnectionParams>(
  table: ParameterTable,
  args: ModuleArgs,
  env: NodeJS.ProcessEnv,
  options: ParseOptions = {},
): P {
  const errors: string[] = [];
  const raw = applyEnvFallbacks(args.params, env, errors, table.options);
  options.prepare?.(raw);
  const converted = convertObject(raw, table.options, errors, env, [], table.moduleName);
  errors.push(...validateParams(table, converted, raw));
  errors.push(...hostErrors(converted.host), ...tokenErrors(converted.token));
  errors.push(...(options.check?.(converted) ?? []));
  if (errors.length) throw new ModuleFailure(joinErrors(errors), errors.length > 1 ? { errors } : {});
  return converted as unknown as P;
}

function invocationOf(table: ParameterTable, p: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table.options)) {
    const value = p[key];
    args[key] = spec.noLog && value !== undefined ? NO_LOG_PLACEHOLDER : value ?? null;
  }
  return { module_args: args };
}

/** The part of Settings every module has, from its validated parameters. */
export function commonSettings(table: ParameterTable, args: ModuleArgs, p: ConnectionParams): CommonSettings {
  return {
    connection: connectionOf(p),
    datacenter: p.datacenter,
    ansible: args.ansible,
    secrets: p.token ? [p.token] : [],
    warnings: connectionWarnings(p),
    invocation: invocationOf(table, p as unknown as Record<string, unknown>),
  };
}
