// consul_semaphore's Settings: its validated parameters (shared/parameters.ts does env fallbacks,
// conversion and the generated schema), plus what no schema can express: the prefix's segments and the
// value's size in bytes, both refused before any request is sent.
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
  /** Without a trailing "/": the semaphore's keys are `${prefix}/.lock` and `${prefix}/<session>`. */
  prefix: string;
  limit?: number;
  /** Undefined: a new contender key is empty, an existing one keeps its value. */
  value?: string;
}

/** `consul lock -n 2 locks/x/` works (Go's path.Join drops the slash), so one trailing "/" is dropped too. */
const withoutTrailingSlash = (prefix: unknown) => (typeof prefix === 'string' && prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);

export function toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const p = parseParameters<ModuleParams>(TABLE, args, env, {
    check: (params) => [
      ...keySegmentErrors('prefix', withoutTrailingSlash(params.prefix)),
      ...surrogateErrors(params, ['prefix', 'value']),
      ...valueSizeErrors('value', params.value),
    ],
  });
  return {
    ...commonSettings(TABLE, args, p),
    state: p.state,
    prefix: withoutTrailingSlash(p.prefix) as string,
    limit: p.limit,
    ...lockOptionsOf(p),
    value: p.value,
  };
}
