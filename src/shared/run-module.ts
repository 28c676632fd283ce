// What every module's entry point does, written once: args file → the module's Settings → its run
// against one Consul client → one JSON result on stdout. Every failure, expected or not, becomes a
// failure result (with `invocation`, token masked) rather than a trace.
import { readArgs, type ModuleArgs } from './args';
import { ConsulClient } from './consul';
import { secretValues } from './env';
import type { ParameterTable } from './option-spec';
import type { CommonSettings } from './parameters';
import { pendingSession, reportPending } from './pending-session';
import { emit, failureResult, maskSecrets, type ModuleResult } from './result';

export interface ModuleDefinition<S extends CommonSettings> {
  table: ParameterTable;
  toSettings(args: ModuleArgs, env: NodeJS.ProcessEnv): S;
  /** The module's work; the result it returns is complete but for masking. */
  run(settings: S, client: ConsulClient): Promise<ModuleResult>;
  /**
   * The parameter that names a session (consul_lock's `session`, consul_session's `id`): null or "" there,
   * what check-mode consul_session reports for a session it would create, follows pending-session.ts.
   */
  sessionParameter?: string;
}

export interface Outcome {
  /** Masked, ready to print. */
  result: Record<string, unknown>;
  exitCode: 0 | 1;
}

/** One run of a module, in-process: what main() prints, and what the fuzz tests check. */
export async function execute<S extends CommonSettings>(
  definition: ModuleDefinition<S>,
  loadArgs: () => ModuleArgs,
  env: NodeJS.ProcessEnv,
): Promise<Outcome> {
  let secrets: string[] = [];
  let client: ConsulClient | undefined;
  let settings: S | undefined;
  try {
    const args = loadArgs();
    secrets = secretValues(args.params, env, definition.table.options);
    const { sessionParameter: sessionParam } = definition;
    const pending = sessionParam !== undefined && pendingSession(definition.table, args.params, args.ansible, sessionParam);
    settings = definition.toSettings(args, env);
    client = new ConsulClient(settings.connection, definition.table.moduleName);
    const result = await definition.run(settings, client);
    return { result: maskSecrets(pending ? reportPending(result, sessionParam) : result, secrets), exitCode: 0 };
  } catch (error) {
    const invocation = settings ? { invocation: settings.invocation } : {};
    return { result: maskSecrets({ ...failureResult(error, definition.table.moduleName), ...invocation }, secrets), exitCode: 1 };
  } finally {
    client?.close();
  }
}

/** The fields every module adds to its result: warnings (with the retries' summary), datacenter, invocation. */
export function finishResult(result: ModuleResult, settings: CommonSettings, warnings: string[], client: { retrySummary(): string[] }): ModuleResult {
  const all = [...warnings, ...client.retrySummary()];
  const datacenter = settings.datacenter === undefined ? {} : { datacenter: settings.datacenter };
  return { ...result, ...datacenter, ...(all.length ? { warnings: all } : {}), invocation: settings.invocation };
}

/** The entry point of a built module: Ansible passes the args file as argv[2]. */
export function main<S extends CommonSettings>(definition: ModuleDefinition<S>): void {
  void execute(definition, () => readArgs(process.argv[2], definition.table.moduleName), process.env).then(({ result, exitCode }) =>
    emit(result, exitCode),
  );
}
