// Ansible-style conversion of raw parameter values to their declared types, with Ansible's wording
// (module_utils/common/validation.py: check_type_*), so `port: "8500"`, `validate_certs: yes` and
// `checks: a,b` work as they do for every Python module.
import { homedir } from 'node:os';
import { parseDurationNs } from './duration';
import type { OptionSpec } from './option-spec';
import { emptyRecord } from './records';

const BOOLEANS_TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const BOOLEANS_FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);
const INTEGER = /^\s*[-+]?\d+\s*$/;
const FLOAT = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The type name a Python user would see, as Ansible's messages show it. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof value;
  }
}

/** A short, printable rendering of a value for error messages. */
export function show(value: unknown, limit = 80): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

class ConversionError extends Error {}

function toStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConversionError(`a ${typeName(value)} is not a string`);
}

function toInt(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
  throw new ConversionError(`'${show(value)}' cannot be converted to an int`);
}

function toFloat(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && FLOAT.test(value)) return Number(value);
  throw new ConversionError(`'${show(value)}' cannot be converted to a float`);
}

function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim().toLowerCase() : undefined;
  if (text !== undefined && BOOLEANS_TRUE.has(text)) return true;
  if (text !== undefined && BOOLEANS_FALSE.has(text)) return false;
  throw new ConversionError(
    `The value '${show(value)}' is not a valid boolean. Valid booleans include: ` +
      [...BOOLEANS_TRUE, ...BOOLEANS_FALSE].map((b) => `'${b}'`).join(', '),
  );
}

function toList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value.split(',');
  if (typeof value === 'number') return [String(value)];
  throw new ConversionError(`a ${typeName(value)} cannot be converted to a list`);
}

/** Dicts: objects, JSON text, or Ansible's `k1=v1, k2=v2` shorthand. */
function toDict(value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      return toDict(JSON.parse(value) as unknown);
    } catch {
      throw new ConversionError('unable to evaluate string as dictionary');
    }
  }
  if (typeof value === 'string' && value.includes('=')) {
    const entries = value
      .split(/[,\s]+/)
      .filter(Boolean)
      .map((field) => {
        const at = field.indexOf('=');
        return [field.slice(0, at), field.slice(at + 1)] as const;
      });
    return Object.fromEntries(entries);
  }
  throw new ConversionError(`a ${typeName(value)} cannot be converted to a dict`);
}

/** Ansible's `path` type expands ~ and environment variables. */
function toPath(value: unknown, env: NodeJS.ProcessEnv): string {
  const text = toStr(value).replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return env[name] ?? whole;
  });
  return text === '~' || text.startsWith('~/') ? homedir() + text.slice(1) : text;
}

function toDurationSeconds(value: unknown): number {
  const ns = typeof value === 'boolean' ? undefined : parseDurationNs(value);
  if (ns === undefined) {
    throw new ConversionError(`'${show(value)}' is neither a number of seconds nor a duration like 20s, 1m30s or 500ms`);
  }
  return ns / 1e9;
}

const CONVERTERS: Record<string, (value: unknown, env: NodeJS.ProcessEnv) => unknown> = {
  str: toStr,
  path: toPath,
  int: toInt,
  float: toFloat,
  bool: toBool,
  list: toList,
  dict: toDict,
  duration: toDurationSeconds,
  raw: (value) => value,
};

/** Where a parameter sits, for messages: `found in 'service_checks'`. */
export type Context = readonly string[];

const where = (context: Context) => (context.length ? ` found in '${context.join(' -> ')}'` : '');

/**
 * Converts one option's value; pushes Ansible-worded errors instead of throwing, so every bad
 * parameter is reported in one run.
 */
export function convertOption(
  name: string,
  value: unknown,
  spec: OptionSpec,
  errors: string[],
  env: NodeJS.ProcessEnv,
  context: Context = [],
): unknown {
  const converter = CONVERTERS[spec.type];
  if (!converter) throw new Error(`no converter for type ${spec.type}`);
  let converted: unknown;
  try {
    converted = converter(value, env);
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error;
    errors.push(
      `argument '${name}' is of type ${typeName(value)}${where(context)} and we were unable to convert to ` +
        `${spec.type === 'duration' ? 'a duration' : spec.type}: ${error.message}`,
    );
    return undefined;
  }
  if (spec.type !== 'list') return converted;
  return (converted as unknown[]).map((element) => convertElement(name, element, spec, errors, env, context));
}

function convertElement(
  name: string,
  element: unknown,
  spec: OptionSpec,
  errors: string[],
  env: NodeJS.ProcessEnv,
  context: Context,
): unknown {
  const elementType = spec.elements ?? 'str';
  const converter = CONVERTERS[elementType];
  if (!converter) throw new Error(`no converter for element type ${elementType}`);
  try {
    const converted = converter(element, env);
    return spec.suboptions ? convertObject(converted as Record<string, unknown>, spec.suboptions, errors, env, [...context, name]) : converted;
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error;
    errors.push(
      `Elements value for option '${name}'${where(context)} is of type ${typeName(element)} and we were unable to ` +
        `convert to ${elementType}: ${error.message}`,
    );
    return undefined;
  }
}

/**
 * Converts a dict against its options (the module's parameters at the top, suboptions below):
 * unknown keys, missing required keys, defaults, then each value. null counts as not given.
 */
export function convertObject(
  input: Record<string, unknown>,
  options: Readonly<Record<string, OptionSpec>>,
  errors: string[],
  env: NodeJS.ProcessEnv,
  context: Context,
  /** The module, named in the message about unsupported parameters at the top level. */
  moduleName = 'this',
): Record<string, unknown> {
  const output = emptyRecord();
  const unknown = Object.keys(input).filter((key) => !Object.hasOwn(options, key));
  if (unknown.length) {
    errors.push(
      `Unsupported parameters for (${context.length ? `${context.join(' -> ')}) option` : `${moduleName}) module`}: ` +
        `${unknown.sort().join(', ')}. ` +
        `Supported parameters include: ${Object.keys(options).sort().join(', ')}.`,
    );
  }
  for (const [key, spec] of Object.entries(options)) {
    const value = input[key];
    if (value === undefined || value === null) {
      if (spec.required) errors.push(`missing required arguments: ${key}${where(context)}`);
      else if (spec.default !== undefined) output[key] = spec.default;
      continue;
    }
    output[key] = convertOption(key, value, spec, errors, env, context);
  }
  return output;
}
