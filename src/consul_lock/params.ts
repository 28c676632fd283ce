// consul_lock's Settings: its validated parameters (shared/parameters.ts does env fallbacks, conversion
// and the generated schema), plus the checks no schema can express: the key's segments and the value's
// size in bytes, both refused before any request is sent.
import type { ModuleArgs } from '../shared/args';
import { keySegmentErrors, valueSizeErrors } from '../shared/kv-params';
import { lockOptionsOf, type LockOptionSettings } from '../shared/lock-options';
import type { ParameterTable } from '../shared/option-spec';
import { commonSettings, parseParameters, surrogateErrors, type CommonSettings } from '../shared/parameters';
import { MODULE_NAME, OPTIONS, REQUIRED_IF, type ModuleParams, type State } from './generated/spec';
import validate from './generated/validate.js';

export const TABLE: ParameterTable = { moduleName: MODULE_NAME, options: OPTIONS, requiredIf: REQUIRED_IF, validate };

export interface Settings extends CommonSettings, LockOptionSettings {
  state: State;
  key: string;
  /** Undefined: an acquire keeps the value stored in the key. */
  value?: string;
}

export function toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const p = parseParameters<ModuleParams>(TABLE, args, env, {
    check: (params) => [...keySegmentErrors('key', params.key), ...surrogateErrors(params, ['key', 'value']), ...valueSizeErrors('value', params.value)],
  });
  return {
    ...commonSettings(TABLE, args, p),
    state: p.state,
    key: p.key,
    ...lockOptionsOf(p),
    value: p.value,
  };
}
