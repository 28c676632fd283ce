// A session ID given as null or "" where a state needs one. consul_session's `present` reports
// `session_id: null` in check mode (the session it would create does not exist yet), and a play passes
// that on: `session: "{{ s.session_id }}"` arrives as null (ansible-core 2.19) or "" (2.14, whose
// templating turns None into an empty string). In check mode that null stands for the session a real
// run would have, so the task goes on with a stand-in and reports what it would do; in a real run it is
// an error that names the parameter and its likely cause. A module opts in by naming that parameter in
// its definition (`sessionParameter`); run-module.ts then calls both functions below around its run.
import type { AnsibleFlags } from './args';
import { ModuleFailure } from './errors';
import type { ParameterTable } from './option-spec';
import type { ModuleResult } from './result';

/** The nil UUID: Consul never issues it, so no session has it and no key is held by it. */
export const PENDING_SESSION = '00000000-0000-0000-0000-000000000000';

const isBlank = (value: unknown) => value === null || (typeof value === 'string' && value.trim() === '');

/** Whether the asked state needs `param`: a required_if names it, and no alternative to it is given. */
function neededByState(table: ParameterTable, raw: Record<string, unknown>, param: string): boolean {
  return table.requiredIf.some(([key, value, required, any]) => {
    if ((raw[key] ?? table.options[key]?.default) !== value || !required.includes(param)) return false;
    return !any || required.every((other) => other === param || isBlank(raw[other]) || raw[other] === undefined);
  });
}

/**
 * On the raw parameters: a null or blank `param` that the state needs becomes PENDING_SESSION
 * in check mode (true is returned), and fails a real run; where the state does not need it, it is read
 * as not given.
 */
export function pendingSession(table: ParameterTable, raw: Record<string, unknown>, ansible: AnsibleFlags, param: string): boolean {
  if (!(param in raw) || !isBlank(raw[param])) return false;
  if (!neededByState(table, raw, param)) {
    delete raw[param];
    return false;
  }
  if (!ansible.checkMode) {
    throw new ModuleFailure(
      `${param} is ${raw[param] === null ? 'null' : 'empty'}: ${table.moduleName} needs the ID of an existing session here. ` +
        'consul_session reports session_id null when it ran in check mode, failed or was skipped; pass the session_id of a ' +
        'consul_session task (state: present) that ran for real in this play.',
    );
  }
  raw[param] = PENDING_SESSION;
  return true;
}

/** The stand-in never shows: as a value it is null again, inside text it is named for what it is. */
function hidePending(node: unknown): unknown {
  if (node === PENDING_SESSION) return null;
  if (typeof node === 'string') return node.split(PENDING_SESSION).join('(the session a real run creates)');
  if (Array.isArray(node)) return node.map(hidePending);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hidePending(v)]));
  return node;
}

/** A check-mode result obtained with the stand-in: says so (pending_session, a warning) and shows null for it. */
export function reportPending(result: ModuleResult, param: string): ModuleResult {
  const note = `In check mode, ${param} null stands for the session consul_session would create; reported as if this task had it.`;
  const shown = hidePending(result) as ModuleResult;
  return { ...shown, pending_session: true, warnings: [note, ...(shown.warnings ?? [])] };
}
