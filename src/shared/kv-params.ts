// Checks of KV keys and values that no JSON Schema can express, shared by the modules that write keys:
// a key's segments (what reaches /v1/kv/<key>) and a value's size in bytes, refused before any request.
import { show } from './coerce';

/** Consul's default kv_max_value_size: larger values are refused by the agent with a 413. */
export const MAX_VALUE_BYTES = 512 * 1024;

/** A key reaches only /v1/kv/<key>: a segment that is empty, "." or ".." would make Consul redirect elsewhere. */
export function keySegmentErrors(name: string, key: unknown): string[] {
  if (typeof key !== 'string') return [];
  const bad = key.split('/').find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad === undefined) return [];
  const what = bad === '' ? 'an empty segment (a leading, trailing or doubled "/")' : `a "${bad}" segment`;
  return [`value of ${name} must not contain ${what}, got: ${JSON.stringify(show(key))}`];
}

export function valueSizeErrors(name: string, value: unknown): string[] {
  if (typeof value !== 'string') return [];
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= MAX_VALUE_BYTES) return [];
  return [`${name} is ${bytes} bytes; Consul stores at most ${MAX_VALUE_BYTES} bytes (512 KiB) in a key: store a reference instead`];
}
