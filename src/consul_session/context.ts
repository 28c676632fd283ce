// What every state of consul_session works with: the settings, the session API and the run's warnings,
// the two reads most states start from, and the diff that present and absent report.
import type { Consistency, ConsulSession, SessionApi } from '../shared/sessions';
import type { Settings } from './params';

export interface Context {
  settings: Settings;
  api: SessionApi;
  warnings: string[];
}

export async function targetNode({ settings, api }: Context): Promise<string> {
  return settings.node ?? (await api.agentSelf()).node;
}

export async function namedOnNode(api: SessionApi, node: string, name: string, mode?: Consistency): Promise<ConsulSession[]> {
  return (await api.onNode(node, mode)).data.filter((s) => s.Name === name);
}

export function diffOf(settings: Settings, before: unknown[], after: unknown[]): Record<string, unknown> {
  return settings.ansible.diff ? { diff: { before: { sessions: before }, after: { sessions: after } } } : {};
}
