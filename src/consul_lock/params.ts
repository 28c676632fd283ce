// consul_lock's Settings: its validated parameters (shared/parameters.ts does env fallbacks, conversion
// and the generated schema), plus the checks no schema can express: the key's segments and the value's
// size in bytes, both refused before any request is sent.
import type { ModuleArgs } from '../shared/args';
import { show } from '../shared/coerce';
import { lockOptionsOf, type LockOptionSettings } from '../shared/lock-options';
import type { ParameterTable } from '../shared/option-spec';
import { commonSettings, parseParameters, surrogateErrors, type CommonSettings } from '../shared/parameters';
import { MODULE_NAME, OPTIONS, REQUIRED_IF, type ModuleParams, type State } from './generated/spec';
import validate from './generated/validate.js';

export const TABLE: ParameterTable = { moduleName: MODULE_NAME, options: OPTIONS, requiredIf: REQUIRED_IF, validate };

/** Consul's default kv_max_value_size: larger values are refused by the agent with a 413. */
export const MAX_VALUE_BYTES = 512 * 1024;

export interface Settings extends CommonSettings, LockOptionSettings {
  state: State;
  key: string;
  /** Undefined: an acquire keeps the value stored in the key. */
  value?: string;
}

/** A key reaches only /v1/kv/<key>: a segment that is empty, "." or ".." would make Consul redirect elsewhere. */
function keyErrors(key: unknown): string[] {
  if (typeof key !== 'string') return [];
  const bad = key.split('/').find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad === undefined) return [];
  const what = bad === '' ? 'an empty segment (a leading, trailing or doubled "/")' : `a "${bad}" segment`;
  return [`value of key must not contain ${what}, got: ${JSON.stringify(show(key))}`];
}

function valueErrors(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= MAX_VALUE_BYTES) return [];
  return [`value is ${bytes} bytes; Consul stores at most ${MAX_VALUE_BYTES} bytes (512 KiB) in a key: store a reference instead`];
}

export function toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const p = parseParameters<ModuleParams>(TABLE, args, env, {
    check: (params) => [...keyErrors(params.key), ...surrogateErrors(params, ['key', 'value']), ...valueErrors(params.value)],
  });
  return {
    ...commonSettings(TABLE, args, p),
    state: p.state,
    key: p.key,
    ...lockOptionsOf(p),
    value: p.value,
  };
}
