/**
 * Test harness for running real Consul agents (Debian bullseye's 1.8.7 by default,
 * fetched by scripts/fetch-consul.sh).
 *
 * - every agent gets its own free ports (never 8500/8300-8302/8600/8502)
 * - every agent gets a fresh temp dir (data dir, optional config file, log file)
 * - agent output goes to a log file, never to our stdout
 * - agents still running when the process exits are SIGKILLed
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running Consul agent started by {@link startDevAgent}. */
export interface Agent {
  /** "127.0.0.1:PORT" — the value for CONSUL_HTTP_ADDR */
  httpAddr: string;
  httpPort: number;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** HTTPS port when the config JSON set `ports.https`, otherwise undefined */
  httpsPort: number | undefined;
  serfLanPort: number;
  serfWanPort: number;
  serverPort: number;
  nodeName: string;
  datacenter: string;
  /** ACL token taken from configJson (acl.tokens.master / agent_master / agent), if any */
  token: string | undefined;
  /** Set for HTTPS-only agents (StartAgentOptions.tls); `url` is then https://127.0.0.1:httpsPort */
  tls?: AgentTls;
  logFile: string;
  /** the agent's temp dir (removed by stop()) */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

/** PEM files the harness itself uses to talk to an HTTPS-only agent. */
export interface AgentTls {
  caFile: string;
  /** client certificate and key, for agents with verify_incoming */
  certFile?: string;
  keyFile?: string;
}

export interface StartAgentOptions {
  /**
   * HTTPS only: the HTTP port is turned off (configJson must set ports.https and the TLS files), and
   * readiness checks and consulHttp go over https, trusting caFile (with the client cert, if given).
   */
  tls?: AgentTls;
  /** -node (default: a unique "consul-test-<pid>-<n>") */
  nodeName?: string;
  /** appended verbatim after the generated arguments (flags override config files) */
  extraArgs?: string[];
  /** written to <tmp>/extra-config.json and passed with -config-file */
  configJson?: object;
  /**
   * true (default): `-dev` (in-memory raft; -data-dir only holds node-id in 1.8.7).
   * false: a real single server: `-server -bootstrap-expect 1` with raft on disk in -data-dir.
   */
  dev?: boolean;
  /** readiness timeout in ms (default 30000) */
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  /** parsed JSON when the body is JSON, otherwise the raw text */
  body: unknown;
  /** raw response text */
  text: string;
  headers: http.IncomingHttpHeaders;
}

export interface HttpOptions {
  /** sent as X-Consul-Token; defaults to target.token */
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const FORBIDDEN_PORTS = new Set([8300, 8301, 8302, 8500, 8501, 8502, 8600]);

// ---------------------------------------------------------------------------
// consul binary
// ---------------------------------------------------------------------------

/** Repository root: the nearest ancestor holding scripts/fetch-consul.sh. */
function repoRoot(): string {
  const starts: string[] = [];
  if (process.env.CONSUL_SESSION_REPO) starts.push(process.env.CONSUL_SESSION_REPO);
  // __dirname exists when this file is loaded as CommonJS; not under native ESM.
  if (typeof __dirname !== 'undefined') starts.push(__dirname);
  starts.push(process.cwd());
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      if (fs.existsSync(path.join(dir, 'scripts', 'fetch-consul.sh'))) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    `cannot find scripts/fetch-consul.sh above ${starts.join(' or ')}; set CONSUL_SESSION_REPO`,
  );
}

let binaryCache: { path: string } | { error: Error } | undefined;

/**
 * Path of a usable consul binary: runs scripts/fetch-consul.sh once per process
 * (which honours $CONSUL_BIN, then PATH, then .cache/, then downloads).
 */
export function consulBinary(): string {
  if (binaryCache === undefined) {
    try {
      const script = path.join(repoRoot(), 'scripts', 'fetch-consul.sh');
      const res = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (res.error) throw res.error;
      const stderr = res.stderr.trim();
      if (res.status !== 0) {
        throw new Error(
          `scripts/fetch-consul.sh failed (exit ${String(res.status ?? res.signal)}):\n${stderr}`,
        );
      }
      const out = res.stdout.trim().split('\n').pop() ?? '';
      if (!out || !path.isAbsolute(out)) {
        throw new Error(`scripts/fetch-consul.sh printed no absolute path (stdout: ${JSON.stringify(res.stdout)})\n${stderr}`);
      }
      if (stderr) process.stderr.write(`${stderr}\n`);
      binaryCache = { path: out };
    } catch (err) {
      binaryCache = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  if ('error' in binaryCache) throw binaryCache.error;
  return binaryCache.path;
}

/**
 * For mocha `before` hooks (use a `function`, not an arrow):
 *   before(function () { consulOrSkip(this); });
 * Returns the binary path; if it cannot be obtained, skips the suite with the
 * reason — except when CI === 'true', where it throws (a skip in CI is a failure).
 */
export function consulOrSkip(ctx: Mocha.Context): string {
  let reason: string;
  try {
    return consulBinary();
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (process.env.CI === 'true') {
    throw new Error(`consul is required in CI (CI=true) but is unavailable: ${reason}`);
  }
  console.warn(
    `[consul] skipping: no consul binary. Run scripts/fetch-consul.sh or set CONSUL_BIN.\n` +
      reason.replace(/^/gm, '    '),
  );
  ctx.skip();
}

// ---------------------------------------------------------------------------
// ports
// ---------------------------------------------------------------------------

function listenTcp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.unref();
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      sock.close(() => resolve(true));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A free 127.0.0.1 port (free for TCP and UDP, since serf uses both): listen on
 * port 0, read the port, close. Never returns Consul's default ports or a port this
 * process already handed out.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await listenTcp(0);
    if (port === 0 || FORBIDDEN_PORTS.has(port) || handedOut.has(port)) continue;
    if (!(await udpFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: could not find a free port in 50 attempts');
}

// ---------------------------------------------------------------------------
// process tracking
// ---------------------------------------------------------------------------

interface Tracked {
  child: ChildProcess;
  dir: string;
}

const running = new Set<Tracked>();
let exitHooksInstalled = false;

function killAllSync(): void {
  for (const t of running) {
    try {
      t.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      fs.rmSync(t.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  running.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else handles this signal (mocha, the CLI): let them shut down
      // gracefully; the 'exit' hook above is the backstop.
      if (process.listenerCount(sig) > 1) return;
      // Nobody else does: kill the agents, then restore the default (terminate) behaviour.
      killAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/**
 * Minimal HTTP client for talking to Consul directly in tests (node:http, always
 * sends Content-Length, never follows redirects). `body`: a string is sent as is,
 * anything else is JSON-encoded.
 */
export function consulHttp(
  target: Pick<Agent, 'url'> & { token?: string | undefined; tls?: AgentTls | undefined },
  method: string,
  urlPath: string,
  body?: unknown,
  opts: HttpOptions = {},
): Promise<HttpResult> {
  const url = new URL(urlPath, target.url);
  const payload =
    body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (payload !== undefined || method.toUpperCase() !== 'GET') {
    headers['Content-Length'] = String(payload?.length ?? 0);
  }
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  const token = opts.token ?? target.token;
  if (token) headers['X-Consul-Token'] = token;

  const tls =
    url.protocol === 'https:' && target.tls
      ? {
          ca: fs.readFileSync(target.tls.caFile),
          cert: target.tls.certFile === undefined ? undefined : fs.readFileSync(target.tls.certFile),
          key: target.tls.keyFile === undefined ? undefined : fs.readFileSync(target.tls.keyFile),
        }
      : {};
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: method.toUpperCase(), headers, agent: false, timeout: opts.timeoutMs ?? 10_000, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          const ct = String(res.headers['content-type'] ?? '');
          if (text.length > 0 && (ct.includes('json') || /^\s*[[{"]/.test(text))) {
            try {
              parsed = JSON.parse(text) as unknown;
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// ---------------------------------------------------------------------------
// agents
// ---------------------------------------------------------------------------

let agentCounter = 0;

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tokenFromConfig(cfg: unknown): string | undefined {
  if (!isRecord(cfg) || !isRecord(cfg.acl) || !isRecord(cfg.acl.tokens)) return undefined;
  const t = cfg.acl.tokens;
  for (const k of ['master', 'initial_management', 'agent_master', 'agent']) {
    const v = t[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

function httpsPortFromConfig(cfg: unknown): number | undefined {
  if (!isRecord(cfg) || !isRecord(cfg.ports)) return undefined;
  const p = cfg.ports.https;
  return typeof p === 'number' ? p : undefined;
}

/** Resolves true once the process has exited, false if it is still running after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

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
        if (s.status === 200 && isRecord(s.body) && isRecord(s.body.Config)) {
          self = s.body.Config;
          break;
        }
        lastProblem = `agent/self: ${s.status} ${s.text.slice(0, 200)}`;
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
