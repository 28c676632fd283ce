/**
 * One dev agent for the enclosing describe: started before its tests (skipped, or failed under CI=true,
 * when there is no consul), handed to `use` with the module's environment, stopped after the tests.
 */
import { consulOrSkip } from './consul-binary.js';
import { startDevAgent } from './dev-agent.js';
import type { Agent } from './dev-agent-types.js';

export function devAgentForSuite(nodeName: string, use: (agent: Agent, env: NodeJS.ProcessEnv) => void): void {
  let agent: Agent | undefined;
  before(async function () {
    consulOrSkip(this);
    agent = await startDevAgent({ nodeName });
    use(agent, { CONSUL_HTTP_ADDR: agent.httpAddr });
  });
  after(async () => {
    await agent?.stop();
  });
}
