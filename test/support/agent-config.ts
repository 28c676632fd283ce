/** What the harness reads back from a dev agent's extra config JSON (StartAgentOptions.configJson). */

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function tokenFromConfig(cfg: unknown): string | undefined {
  if (!isRecord(cfg) || !isRecord(cfg.acl) || !isRecord(cfg.acl.tokens)) return undefined;
  const t = cfg.acl.tokens;
  for (const k of ['master', 'initial_management', 'agent_master', 'agent']) {
    const v = t[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

export function httpsPortFromConfig(cfg: unknown): number | undefined {
  if (!isRecord(cfg) || !isRecord(cfg.ports)) return undefined;
  const p = cfg.ports.https;
  return typeof p === 'number' ? p : undefined;
}
