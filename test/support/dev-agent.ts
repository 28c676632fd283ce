/**
 * startDevAgent: one real Consul agent on 127.0.0.1 for a test, with its own free ports
 * and temp dir; output goes to a log file, never to our stdout.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { httpsPortFromConfig, isRecord, tokenFromConfig } from './agent-config.js';
import { installExitHooks, running } from './agent-exit-cleanup.js';
import type { Tracked } from './agent-exit-cleanup.js';
import { sleep, tail, waitForExit } from './agent-process.js';
import { consulBinary } from './consul-binary.js';
import { consulHttp } from './consul-http.js';
import type { Agent, StartAgentOptions } from './dev-agent-types.js';
import { freePort } from './ports.js';

let agentCounter = 0;

class AgentStartError extends Error {
  constructor(
    message: string,
    readonly portClash: boolean,
  ) {
    super(message);
  }
}

/**
 * Start `consul agent -dev` (or a single bootstrapped server with dev: false) on
 * 127.0.0.1 with every port explicit and free, and wait until it has a leader and
 * /v1/agent/self answers. Retries with new ports if a port was taken meanwhile.
 */
export async function startDevAgent(opts: StartAgentOptions = {}): Promise<Agent> {
  let last: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (err instanceof AgentStartError && err.portClash) {
        last = err;
        continue;
      }
      throw err;
    }
  }
  throw last ?? new Error('startDevAgent failed');
}

async function startOnce(opts: StartAgentOptions): Promise<Agent> {
  const bin = consulBinary();
  const dev = opts.dev ?? true;
  const nodeName = opts.nodeName ?? `consul-test-${process.pid}-${++agentCounter}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consul-agent-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const logFile = path.join(dir, 'consul.log');

  const [httpPort, serfLanPort, serfWanPort, serverPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const httpsPort = httpsPortFromConfig(opts.configJson);
  if (opts.tls && httpsPort === undefined) throw new Error('startDevAgent: tls needs configJson.ports.https');
  const token = tokenFromConfig(opts.configJson);

  const args = ['agent'];
  args.push(...(dev ? ['-dev'] : ['-server', '-bootstrap-expect', '1']));
  args.push(
    '-bind', '127.0.0.1',
    '-client', '127.0.0.1',
    '-node', nodeName,
    '-data-dir', dataDir,
    '-http-port', opts.tls ? '-1' : String(httpPort),
    '-serf-lan-port', String(serfLanPort),
    '-serf-wan-port', String(serfWanPort),
    '-server-port', String(serverPort),
    '-dns-port', '-1',
    '-grpc-port', '-1',
  );
  if (httpsPort === undefined) args.push('-https-port', '-1');
  if (opts.configJson !== undefined) {
    const cfgFile = path.join(dir, 'extra-config.json');
    fs.writeFileSync(cfgFile, JSON.stringify(opts.configJson, null, 2));
    args.push('-config-file', cfgFile);
  }
  args.push(...(opts.extraArgs ?? []));

  const logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `# ${bin} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ['ignore', logFd, logFd], cwd: dir, env: { ...process.env } });
  } finally {
    fs.closeSync(logFd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  // Don't let a forgotten agent keep the test runner alive; the exit hook kills it.
  child.unref();
  const tracked: Tracked = { child, dir };
  running.add(tracked);
  installExitHooks();

  const pid = child.pid ?? -1;
  const url = opts.tls ? `https://127.0.0.1:${String(httpsPort)}` : `http://127.0.0.1:${httpPort}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      child.ref();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 5_000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      running.delete(tracked);
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const fail = async (why: string): Promise<never> => {
    const log = tail(logFile);
    const clash = /address already in use/i.test(log);
    const message = `consul agent ${nodeName} (pid ${pid}) did not become ready: ${why}\n--- ${logFile} (tail) ---\n${log}`;
    await stop();
    throw new AgentStartError(message, clash);
  };

  const target = { url, token, tls: opts.tls };
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  let self: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return fail(`process exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`);
    }
    try {
      const leader = await consulHttp(target, 'GET', '/v1/status/leader', undefined, { timeoutMs: 2_000 });
      if (leader.status !== 200 || typeof leader.body !== 'string' || leader.body === '') {
        lastProblem = `leader: ${leader.status} ${leader.text}`;
      } else {
        const s = await consulHttp(target, 'GET', '/v1/agent/self', undefined, { timeoutMs: 2_000 });
        // Sessions need the agent's node in the catalog, which a fresh agent syncs a moment after it has a
        // leader: before that, a create fails with "Missing node registration".
        const name = isRecord(s.body) && isRecord(s.body.Config) ? String(s.body.Config.NodeName) : nodeName;
        const node = await consulHttp(target, 'GET', `/v1/catalog/node/${encodeURIComponent(name)}`, undefined, { timeoutMs: 2_000 });
        if (s.status === 200 && isRecord(s.body) && isRecord(s.body.Config) && node.status === 200 && isRecord(node.body) && isRecord(node.body.Node)) {
          self = s.body.Config;
          break;
        }
        lastProblem = `agent/self: ${s.status} ${s.text.slice(0, 200)}; catalog node: ${node.status} ${node.text.slice(0, 200)}`;
      }
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  if (self === undefined) return fail(`timeout after ${timeoutMs} ms (last: ${lastProblem})`);

  return {
    httpAddr: `127.0.0.1:${httpPort}`,
    httpPort,
    url,
    httpsPort,
    serfLanPort,
    serfWanPort,
    serverPort,
    nodeName: typeof self.NodeName === 'string' ? self.NodeName : nodeName,
    datacenter: typeof self.Datacenter === 'string' ? self.Datacenter : '',
    token,
    ...(opts.tls ? { tls: opts.tls } : {}),
    logFile,
    dir,
    pid,
    stop,
  };
}
