/**
 * `npm run consul`: start one Consul dev agent in the foreground (free ports, temp
 * dir, log to a file), print how to reach it, and stop it on Ctrl-C / SIGTERM.
 *
 *   npm run consul                 # node name consul-dev-<pid>
 *   npm run consul -- my-node      # custom node name
 */
import { startDevAgent } from './consul.js';
import type { Agent } from './consul.js';

async function main(): Promise<void> {
  const nodeName = process.argv[2] ?? `consul-dev-${process.pid}`;
  const state: { agent: Agent | undefined; stopping: boolean } = { agent: undefined, stopping: false };

  const shutdown = (signal: string): void => {
    if (state.stopping) return;
    state.stopping = true;
    const { agent } = state;
    process.stderr.write(`\n${signal}: stopping consul (pid ${agent?.pid ?? '?'})...\n`);
    const done = agent ? agent.stop() : Promise.resolve();
    done.then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  const agent = await startDevAgent({ nodeName });
  state.agent = agent;
  if (state.stopping) {
    await agent.stop();
    return;
  }
  process.stdout.write(
    [
      `CONSUL_HTTP_ADDR=${agent.httpAddr}`,
      `CONSUL_NODE=${agent.nodeName}`,
      `CONSUL_DATACENTER=${agent.datacenter}`,
      `# url ${agent.url}  pid ${agent.pid}  log ${agent.logFile}`,
      '# Ctrl-C to stop',
      '',
    ].join('\n'),
  );

  // Keep the process alive while the agent runs; report if it dies on its own.
  const keepAlive = setInterval(() => {
    try {
      process.kill(agent.pid, 0);
    } catch {
      if (state.stopping) return;
      clearInterval(keepAlive);
      process.stderr.write(`consul exited unexpectedly; see ${agent.logFile}\n`);
      process.exit(1);
    }
  }, 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
