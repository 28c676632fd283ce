/**
 * The sessions a recording server's default answers have created, so that reads after a create see it,
 * as they do in Consul (present re-reads after its create and must find its session). Stored the way
 * Consul 1.8 reports them: LockDelay in nanoseconds, NodeChecks defaulting to serfHealth.
 */
import { randomUUID } from 'node:crypto';
import { parseDurationNs } from '../../src/shared/duration';
import type { ConsulSession } from '../../src/shared/sessions';

export class RecordedSessions {
  readonly all: ConsulSession[] = [];
  private index = 10;

  /** Applies a create body; a body that is not a JSON object creates a default session, as Consul would. */
  create(body: string, defaultNode: string): string {
    let fields: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(body || '{}');
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    } catch {
      /* keep the defaults */
    }
    const text = (key: string, fallback: string) => {
      const value = fields[key];
      return typeof value === 'string' ? value : fallback;
    };
    this.index += 1;
    const session: ConsulSession = {
      ID: randomUUID(),
      Name: text('Name', ''),
      Node: text('Node', defaultNode),
      LockDelay: parseDurationNs(fields.LockDelay ?? '15s') ?? 15e9,
      Behavior: text('Behavior', 'release') === 'delete' ? 'delete' : 'release',
      TTL: text('TTL', ''),
      NodeChecks: Array.isArray(fields.NodeChecks) ? (fields.NodeChecks as string[]) : ['serfHealth'],
      ServiceChecks: Array.isArray(fields.ServiceChecks) ? (fields.ServiceChecks as ConsulSession['ServiceChecks']) : null,
      CreateIndex: this.index,
      ModifyIndex: this.index,
    };
    this.all.push(session);
    return session.ID;
  }

  destroy(id: string): void {
    const at = this.all.findIndex((s) => s.ID === id);
    if (at >= 0) this.all.splice(at, 1);
  }

  /** GET /v1/session/list, /node/{node} or /info/{id} (path still percent-encoded). */
  read(path: string): ConsulSession[] {
    const [, kind = '', arg = ''] = /^\/v1\/session\/(list|node|info)\/?(.*)$/.exec(path) ?? [];
    const value = decodeURIComponent(arg);
    if (kind === 'node') return this.all.filter((s) => s.Node === value);
    if (kind === 'info') return this.all.filter((s) => s.ID === value);
    return [...this.all];
  }
}
