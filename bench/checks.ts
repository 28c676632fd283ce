/** Checks on a module's output: the one JSON result, `changed`, the sessions list, the session ID. */
import type { TimedRun } from './harness';

export function parseResult(run: TimedRun): Record<string, unknown> {
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error('stdout is not one JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('stdout is not a JSON object');
  const result = parsed as Record<string, unknown>;
  if (result.failed === true) throw new Error(`the module failed: ${String(result.msg)}`);
  if (run.code !== 0) throw new Error(`exit code ${String(run.code ?? run.signal)}`);
  return result;
}

export function expectChanged(result: Record<string, unknown>, changed: boolean): void {
  if (result.changed !== changed) throw new Error(`expected changed=${String(changed)}, got ${String(result.changed)}`);
}

export function sessionsOf(result: Record<string, unknown>): unknown[] {
  if (!Array.isArray(result.sessions)) throw new Error('no sessions list in the result');
  return result.sessions as unknown[];
}

export function idOf(result: Record<string, unknown>): string {
  if (typeof result.session_id !== 'string') throw new Error('no session_id in the result');
  return result.session_id;
}
