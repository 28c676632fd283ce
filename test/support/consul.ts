/**
 * Test harness for running real Consul agents (Debian bullseye's 1.8.7 by default,
 * fetched by scripts/fetch-consul.sh).
 *
 * - every agent gets its own free ports (never 8500/8300-8302/8600/8502)
 * - every agent gets a fresh temp dir (data dir, optional config file, log file)
 * - agent output goes to a log file, never to our stdout
 * - agents still running when the process exits are SIGKILLed
 *
 * This file only re-exports the pieces, so importers keep one import path:
 * consul-binary.ts, ports.ts, consul-http.ts, dev-agent.ts (+ dev-agent-types.ts),
 * agent-process.ts; the helpers behind them are agent-config.ts and agent-exit-cleanup.ts.
 */
export { consulBinary, consulOrSkip } from './consul-binary.js';
export { freePort } from './ports.js';
export { consulHttp } from './consul-http.js';
export type { HttpOptions, HttpResult } from './consul-http.js';
export { startDevAgent } from './dev-agent.js';
export type { Agent, AgentTls, StartAgentOptions } from './dev-agent-types.js';
export { waitForExit } from './agent-process.js';
