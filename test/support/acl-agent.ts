/**
 * A dev agent with ACLs on and default_policy deny (its master token makes consulHttp calls go through),
 * and tokens made of exactly the rules a test names: what the ACL tests run the modules with.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { consulHttp } from './consul-http.js';
import { startDevAgent } from './dev-agent.js';
import type { Agent } from './dev-agent-types.js';

export interface AclAgent {
  agent: Agent;
  master: string;
  /** A new token whose one policy is `rules` (HCL); every token made is in `secrets`. */
  tokenFor(rules: string): Promise<string>;
  /** The master token and every token made: none may ever appear in a module's output. */
  secrets: string[];
}

/** `rule "x" write` (the README's shorthand) as HCL: `rule "x" { policy = "write" }`. */
export const hcl = (rules: string[]) => rules.map((r) => r.replace(/ (read|write)$/, ' { policy = "$1" }')).join('\n');

/** Agent configuration with ACLs on, deny by default, and `master` as the master token. */
export const aclConfig = (master: string) => ({ primary_datacenter: 'dc1', acl: { enabled: true, default_policy: 'deny', tokens: { master } } });

export async function startAclAgent(): Promise<AclAgent> {
  const master = randomUUID();
  const agent = await startDevAgent({ configJson: aclConfig(master) });
  const secrets: string[] = [master];
  async function tokenFor(rules: string): Promise<string> {
    const name = `policy-${randomUUID()}`;
    // Consul refuses an empty policy: a rule on a key nobody uses stands in for "no rule at all".
    const policy = await consulHttp(agent, 'PUT', '/v1/acl/policy', { Name: name, Rules: rules.trim() || 'key "unused" { policy = "read" }' });
    expect(policy.status, policy.text).to.equal(200);
    const created = await consulHttp(agent, 'PUT', '/v1/acl/token', { Description: name, Policies: [{ Name: name }] });
    expect(created.status, created.text).to.equal(200);
    const secret = (created.body as { SecretID: string }).SecretID;
    secrets.push(secret);
    return secret;
  }
  return { agent, master, tokenFor, secrets };
}
