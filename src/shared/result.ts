// The module's only output: one JSON object on stdout. Secrets are masked wherever their value would
// appear (as Ansible's no_log does), including in text Consul or Node produced.
import { ConsulError, ModuleFailure } from './errors';

export const MASK = '********';

/** What a module prints on success; `changed` is always there. */
export type ModuleResult = Record<string, unknown> & { changed: boolean; warnings?: string[] };

/**
 * The forms in which a secret can come back inside text: as is, JSON-escaped (in a JSON error body) and
 * percent-encoded (echoed in a URL). Longest first, so a longer form is masked before a part of it.
 */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    try {
      forms.add(encodeURIComponent(secret));
    } catch {
      // A lone surrogate cannot be percent-encoded, so it cannot come back that way either.
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

export function maskSecrets<T>(value: T, secrets: readonly string[]): T {
  const active = secretForms(secrets);
  if (!active.length) return value;
  const maskText = (text: string) => active.reduce((out, secret) => out.split(secret).join(MASK), text);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return maskText(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      // Values only: keys are this module's and Consul's field names. Masking them let a token like "a"
      // turn `failed` into `f********iled`, and a failure read as a success (found by the fuzz test).
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return walk(value) as T;
}

export function failureResult(error: unknown, moduleName: string): Record<string, unknown> {
  if (error instanceof ConsulError) {
    const extra = error.status === undefined ? {} : { status: error.status };
    return { failed: true, changed: false, msg: error.message, ...extra, ...(error.body ? { body: error.body } : {}) };
  }
  if (error instanceof ModuleFailure) return { failed: true, changed: false, msg: error.message, ...error.details };
  // A bug of ours: say so plainly; the stack goes where Ansible shows tracebacks (-vvv), not in msg.
  const e = error instanceof Error ? error : new Error(String(error));
  return { failed: true, changed: false, msg: `${moduleName} failed unexpectedly: ${e.message}`, exception: e.stack ?? e.message };
}

/**
 * Writes the (already masked) result and sets the exit code without process.exit(): exiting right after
 * a write can cut a large result short when stdout is a pipe, as it is under Ansible.
 */
export function emit(result: Record<string, unknown>, exitCode: number): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = exitCode;
}
