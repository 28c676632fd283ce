// consul_session's Settings: its validated parameters (shared/parameters.ts does env fallbacks,
// conversion and the generated schema) shaped into what plan.ts and states.ts work from.
import type { ModuleArgs } from '../shared/args';
import { commonSettings, parseParameters, surrogateErrors, type CommonSettings } from '../shared/parameters';
import type { ParameterTable } from '../shared/option-spec';
import { MODULE_NAME, OPTIONS, REQUIRED_IF, type ModuleParams, type State } from './generated/spec';
import validate from './generated/validate.js';
import type { SessionSpec } from '../shared/sessions';

export const TABLE: ParameterTable = { moduleName: MODULE_NAME, options: OPTIONS, requiredIf: REQUIRED_IF, validate };

/** The session settings `present` compares and creates (defined beside the session API that sends them). */
export type { SessionSpec } from '../shared/sessions';

export interface Settings extends CommonSettings {
  state: State;
  id?: string;
  name?: string;
  /** Given node (or, for state=node, the name standing in for it); the agent's own when absent. */
  node?: string;
  /**
   * Consul's read consistency mode (`?consistent` / `?stale`). present and absent decide what to change
   * from what they read, so for them a `stale` request is read from the leader instead (with a warning).
   */
  consistency: 'default' | 'consistent' | 'stale';
  session: SessionSpec;
  /** state=renewed as a keeper: how long at most (keeper.ts). */
  keepAliveMs?: number;
  /** Run by Ansible's async wrapper (it sets ANSIBLE_ASYNC_DIR): a keeper only runs there. */
  inBackground: boolean;
}

/** present and absent decide what to change from what they read: never from a possibly stale answer. */
function readConsistency(p: ModuleParams): Settings['consistency'] {
  return p.consistency === 'stale' && (p.state === 'present' || p.state === 'absent') ? 'default' : p.consistency;
}

function warningsOf(p: ModuleParams): string[] {
  const warnings: string[] = [];
  if (readConsistency(p) !== p.consistency) {
    warnings.push(`consistency=stale applies to the read-only states (info, node, list); state=${p.state} read from the leader.`);
  }
  if (p.state === 'present' && p.name === undefined && p.id === undefined) {
    warnings.push('state=present without name or id creates a new session on every run; give a name to make it idempotent.');
  }
  return warnings;
}

function keepAliveErrors(params: Record<string, unknown>): string[] {
  if (params.keep_alive === undefined || params.state === 'renewed') return [];
  return [`keep_alive keeps a session alive with state=renewed; it does nothing with state=${String(params.state)}: remove it, or use state=renewed`];
}

export function toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv = process.env): Settings {
  const p = parseParameters<ModuleParams>(TABLE, args, env, {
    // The classic module read `name` as the node for state=node; keep that working.
    prepare: (raw) => {
      if (raw.state === 'node' && raw.node == null && raw.name != null) raw.node = raw.name;
    },
    check: (params) => [...surrogateErrors(params, ['node']), ...keepAliveErrors(params)],
  });
  const common = commonSettings(TABLE, args, p);
  return {
    ...common,
    state: p.state,
    id: p.id,
    name: p.name,
    node: p.node,
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
    keepAliveMs: p.keep_alive === undefined ? undefined : Math.round(p.keep_alive * 1000),
    inBackground: Boolean(env.ANSIBLE_ASYNC_DIR),
    warnings: [...common.warnings, ...warningsOf(p)],
  };
}
