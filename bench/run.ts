/**
 * `npm run bench` — issue 6's benchmark. Starts its own Consul dev agent (free loopback ports, never
 * 8500) and measures, every comparison interleaved within this one run:
 *   1. one direct run of dist/consul_session.js per state vs `node -e 0` vs the classic Python module;
 *   2. a 20-task playbook of ours vs the Python module vs a no-op WANT_JSON node module;
 *   3. `state: list` of 10,000 sessions: wall time and peak RSS (GNU time's %M);
 *   4. the bundle's size and the HTTP requests each state makes (counted by a proxy of our own).
 * Progress goes to stderr; stdout gets a markdown report (README-ready); the figures go to
 * bench/results/latest.json (or --out FILE).
 *
 *   npm run bench -- [--rounds N] [--warmup N] [--playbook-rounds N] [--list-runs N]
 *                    [--sessions N] [--quick] [--no-python] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { consulBinary, consulHttp, startDevAgent, type Agent } from '../test/support/consul';
import { seedSessions } from '../test/support/cluster';
import { ansibleEnv, lastJsonDocument, ranOurModule, REPO_ROOT } from '../test/support/ansible';
import {
  interleave,
  ratio,
  startCountingProxy,
  summarize,
  timedRun,
  type Job,
  type RunSpec,
  type Samples,
  type Summary,
  type TimedRun,
} from './harness';
import { markdownReport, type BenchResult, type Verdict } from './report';

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

interface Options {
  rounds: number;
  warmup: number;
  playbookRounds: number;
  listRuns: number;
  sessions: number;
  quick: boolean;
  python: boolean;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = {
    rounds: 20,
    warmup: 2,
    playbookRounds: 7,
    listRuns: 5,
    sessions: 10_000,
    quick: false,
    python: true,
    out: path.join(REPO_ROOT, 'bench', 'results', 'latest.json'),
  };
  const intArg = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer ≥ ${min}, got ${String(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--rounds': opts.rounds = intArg(arg, argv[++i], 1); break;
      case '--warmup': opts.warmup = intArg(arg, argv[++i], 0); break;
      case '--playbook-rounds': opts.playbookRounds = intArg(arg, argv[++i], 1); break;
      case '--list-runs': opts.listRuns = intArg(arg, argv[++i], 1); break;
      case '--sessions': opts.sessions = intArg(arg, argv[++i], 1); break;
      case '--quick': opts.quick = true; break;
      case '--no-python': opts.python = false; break;
      case '--out': opts.out = path.resolve(argv[++i] ?? ''); break;
      case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0]! + '*/\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  if (opts.quick) opts.warmup = Math.min(opts.warmup, 1);
  return opts;
}

// ---------------------------------------------------------------------------
// environment
// ---------------------------------------------------------------------------

const MODULE = path.join(REPO_ROOT, 'dist', 'consul_session.js');
const PYTHON = '/usr/bin/python3';
const PY_MODULE = 'ansible_collections.community.general.plugins.modules.consul_session';
const GNU_TIME = '/usr/bin/time';
const NODE = process.execPath;

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/** The environment every measured command gets: ours, minus CONSUL_*, ANSIBLE_* and proxy settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('CONSUL_') || key.startsWith('ANSIBLE_') || /_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function ensureBuilt(): void {
  if (fs.existsSync(MODULE)) return;
  log('dist/consul_session.js is missing: npm run build');
  const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (res.status !== 0 || !fs.existsSync(MODULE)) throw new Error('npm run build failed');
}

function pythonWorks(): boolean {
  const res = spawnSync(PYTHON, ['-c', `import consul, ${PY_MODULE}`], { stdio: 'ignore', env: cleanEnv() });
  return res.status === 0;
}

/** undefined when the Python module can run; otherwise why it is skipped. Installs it with apt when root. */
function pythonProblem(wanted: boolean): string | undefined {
  if (!wanted) return 'skipped (--no-python)';
  if (!fs.existsSync(PYTHON)) return `skipped: ${PYTHON} does not exist`;
  if (pythonWorks()) return undefined;
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')) {
    log('the Python module needs Debian packages ansible and python3-consul: apt-get install -y python3-consul ansible');
    spawnSync('apt-get', ['install', '-y', 'python3-consul', 'ansible'], { stdio: ['ignore', 2, 2] });
    if (pythonWorks()) return undefined;
    return 'skipped: apt-get install -y python3-consul ansible did not make the Python module importable';
  }
  return `skipped: ${PYTHON} cannot import consul and ${PY_MODULE}; install them with \`sudo apt-get install -y python3-consul ansible\``;
}

function commandOk(cmd: string, args: string[]): boolean {
  const res = spawnSync(cmd, args, { stdio: 'ignore' });
  return res.status === 0;
}

function firstLine(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${res.stdout ?? ''}${res.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
}

// ---------------------------------------------------------------------------
// checks on a module's output
// ---------------------------------------------------------------------------

function parseResult(run: TimedRun): Record<string, unknown> {
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error('stdout is not one JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('stdout is not a JSON object');
  const result = parsed as Record<string, unknown>;
  if (result.failed === true) throw new Error(`the module failed: ${String(result.msg)}`);
  if (run.code !== 0) throw new Error(`exit code ${String(run.code ?? run.signal)}`);
  return result;
}

function expectChanged(result: Record<string, unknown>, changed: boolean): void {
  if (result.changed !== changed) throw new Error(`expected changed=${String(changed)}, got ${String(result.changed)}`);
}

function sessionsOf(result: Record<string, unknown>): unknown[] {
  if (!Array.isArray(result.sessions)) throw new Error('no sessions list in the result');
  return result.sessions as unknown[];
}

function idOf(result: Record<string, unknown>): string {
  if (typeof result.session_id !== 'string') throw new Error('no session_id in the result');
  return result.session_id;
}

// ---------------------------------------------------------------------------
// the candidates
// ---------------------------------------------------------------------------

const STATES = ['list', 'info', 'present_hit', 'present_create', 'absent'] as const;
type State = (typeof STATES)[number];

interface Fixture {
  agent: Agent;
  tmp: string;
  env: NodeJS.ProcessEnv;
  /** the session the `info` and `present` hit runs find */
  hitName: string;
  hitId: string;
  prefix: string;
  counter: number;
}

function writeArgs(fx: Fixture, args: Record<string, unknown>): string {
  const file = path.join(fx.tmp, `args-${++fx.counter}.json`);
  fs.writeFileSync(file, JSON.stringify(args));
  return file;
}

async function createSession(fx: Fixture, name: string): Promise<string> {
  const res = await consulHttp(fx.agent, 'PUT', '/v1/session/create', { Name: name, Node: fx.agent.nodeName, LockDelay: '0s' });
  const id = (res.body as { ID?: unknown } | undefined)?.ID;
  if (res.status !== 200 || typeof id !== 'string') throw new Error(`session create: ${res.status} ${res.text}`);
  return id;
}

async function destroySession(fx: Fixture, id: string): Promise<void> {
  const res = await consulHttp(fx.agent, 'PUT', `/v1/session/destroy/${id}`);
  if (res.status !== 200) throw new Error(`session destroy ${id}: ${res.status} ${res.text}`);
}

function ourSpec(fx: Fixture, args: Record<string, unknown>, port: number): RunSpec {
  const file = writeArgs(fx, { host: '127.0.0.1', port, ...args });
  return { cmd: NODE, args: [MODULE, file], env: fx.env, cwd: fx.tmp };
}

function pySpec(fx: Fixture, args: Record<string, unknown>, port: number): RunSpec {
  return {
    cmd: PYTHON,
    args: ['-m', PY_MODULE],
    stdin: JSON.stringify({ ANSIBLE_MODULE_ARGS: { host: '127.0.0.1', port, ...args } }),
    env: fx.env,
    cwd: fx.tmp,
  };
}

/** Our module, one job per state; `port` is the agent's or the counting proxy's. */
function ourJobs(fx: Fixture, port: () => number): Record<State, Job<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const node = fx.agent.nodeName;
  const list: Job = {
    id: 'ours:list',
    spec: () => ourSpec(fx, { state: 'list' }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (sessionsOf(result).length < 1) throw new Error('list found no session');
    },
  };
  const info: Job = {
    id: 'ours:info',
    spec: () => ourSpec(fx, { state: 'info', id: fx.hitId }, port()),
    check: (run) => {
      const result = parseResult(run);
      if (sessionsOf(result).length !== 1) throw new Error('info did not find the session');
    },
  };
  const hit: Job = {
    id: 'ours:present_hit',
    spec: () => ourSpec(fx, { state: 'present', name: fx.hitName, node }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (idOf(result) !== fx.hitId) throw new Error(`present found ${idOf(result)}, not ${fx.hitId}`);
    },
  };
  const create: Job<string> = {
    id: 'ours:present_create',
    setup: () => Promise.resolve(`${fx.prefix}-create-${++fx.counter}`),
    spec: (name) => ourSpec(fx, { state: 'present', name, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
    teardown: (run) => destroySession(fx, idOf(parseResult(run))),
  };
  const absent: Job<string> = {
    id: 'ours:absent',
    setup: async () => {
      const name = `${fx.prefix}-absent-${++fx.counter}`;
      await createSession(fx, name);
      return name;
    },
    spec: (name) => ourSpec(fx, { state: 'absent', name, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
  };
  return { list, info, present_hit: hit, present_create: create, absent };
}

/**
 * The classic module. It has no idempotent `present`: every run creates a session (one PUT), so one
 * job `py:present` stands for both present rows; `absent` needs the session's ID.
 */
function pyJobs(fx: Fixture, port: () => number): Job<any>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const node = fx.agent.nodeName;
  const list: Job = {
    id: 'py:list',
    spec: () => pySpec(fx, { state: 'list' }, port()),
    check: (run) => {
      if (sessionsOf(parseResult(run)).length < 1) throw new Error('list found no session');
    },
  };
  const info: Job = {
    id: 'py:info',
    spec: () => pySpec(fx, { state: 'info', id: fx.hitId }, port()),
    check: (run) => {
      parseResult(run);
    },
  };
  const present: Job = {
    id: 'py:present',
    spec: () => pySpec(fx, { state: 'present', name: `${fx.prefix}-py-${++fx.counter}`, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
    teardown: (run) => destroySession(fx, idOf(parseResult(run))),
  };
  const absent: Job<string> = {
    id: 'py:absent',
    setup: () => createSession(fx, `${fx.prefix}-pyabsent-${++fx.counter}`),
    spec: (id) => pySpec(fx, { state: 'absent', id }, port()),
    check: (run) => expectChanged(parseResult(run), true),
  };
  return [list, info, present, absent];
}

const PY_JOB_OF_STATE: Record<State, string> = {
  list: 'py:list',
  info: 'py:info',
  present_hit: 'py:present',
  present_create: 'py:present',
  absent: 'py:absent',
};

const floorJob: Job = {
  id: 'node -e 0',
  spec: () => ({ cmd: NODE, args: ['-e', '0'] }),
  check: (run) => {
    if (run.code !== 0) throw new Error(`exit ${String(run.code)}`);
  },
};

// ---------------------------------------------------------------------------
// parts
// ---------------------------------------------------------------------------

const stat = (samples: Map<string, Samples>, id: string): Summary | undefined => {
  const s = samples.get(id);
  return s && s.ms.length > 0 ? summarize(s.ms) : undefined;
};

const verdict = (pass: boolean): Verdict => (pass ? 'PASS' : 'MISS');

async function requestCounts(fx: Fixture, python: boolean): Promise<BenchResult['requests']> {
  const proxy = await startCountingProxy(fx.agent.httpPort, { [fx.agent.nodeName]: '{node}' });
  try {
    const ours = ourJobs(fx, () => proxy.port);
    const py = python ? pyJobs(fx, () => proxy.port) : [];
    const out: BenchResult['requests'] = {};
    const countOne = async (job: Job<any>): Promise<Record<string, number>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const ctx: unknown = job.setup ? await job.setup() : undefined;
      proxy.take();
      const run = await timedRun(await job.spec(ctx));
      const counts = proxy.take();
      await job.check(run, ctx);
      if (job.teardown) await job.teardown(run, ctx);
      return counts;
    };
    for (const state of STATES) {
      const counts = await countOne(ours[state]);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      out[state] = { ours: { total, paths: counts } };
    }
    for (const job of py) {
      const counts = await countOne(job);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      for (const state of STATES) {
        if (PY_JOB_OF_STATE[state] === job.id) out[state]!.python = { total, paths: counts };
      }
    }
    return out;
  } finally {
    await proxy.close();
  }
}

async function directRuns(fx: Fixture, opts: Options, python: boolean): Promise<BenchResult['direct']> {
  const ours = ourJobs(fx, () => fx.agent.httpPort);
  const jobs: Job<any>[] = [floorJob, ...STATES.map((s) => ours[s]), ...(python ? pyJobs(fx, () => fx.agent.httpPort) : [])]; // eslint-disable-line @typescript-eslint/no-explicit-any
  log(`part 1: direct runs, ${jobs.length} candidates interleaved, ${opts.warmup} warm-up + ${opts.rounds} rounds`);
  const samples = await interleave(jobs, opts.rounds, opts.warmup, (round, total) => {
    if (round % 5 === 0) log(`  round ${round + 1}/${total}`);
  });
  const floor = stat(samples, floorJob.id)!;
  const rows: BenchResult['direct']['rows'] = STATES.map((state) => {
    const o = stat(samples, `ours:${state}`)!;
    const p = python ? stat(samples, PY_JOB_OF_STATE[state]) : undefined;
    const oursRatio = ratio(o.median, floor.median);
    return {
      state,
      ours: o,
      oursRatio,
      python: p,
      pythonRatio: p ? ratio(p.median, floor.median) : undefined,
      pythonOverOurs: p ? ratio(p.median, o.median) : undefined,
      target: 1.4,
      verdict: verdict(oursRatio <= 1.4),
    };
  });
  return { rounds: opts.rounds, warmup: opts.warmup, floor, rows };
}

const PLAY_TASKS = 20;

function playbookYaml(action: string, args: Record<string, unknown>): string {
  const argText = JSON.stringify(args);
  const tasks = Array.from({ length: PLAY_TASKS }, (_, i) => `    - name: task ${i + 1}\n      ${action}: ${argText}\n`).join('');
  return `- name: ${PLAY_TASKS} x ${action}\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${tasks}`;
}

async function playbooks(fx: Fixture, opts: Options, python: boolean): Promise<BenchResult['playbook']> {
  const dir = path.join(fx.tmp, 'playbook');
  const library = path.join(dir, 'library');
  fs.mkdirSync(library, { recursive: true });
  fs.copyFileSync(MODULE, path.join(library, 'consul_session.js'));
  fs.chmodSync(path.join(library, 'consul_session.js'), 0o755);
  // The floor: Ansible's own per-task cost for a node module that does nothing.
  fs.writeFileSync(
    path.join(library, 'bench_noop.js'),
    '#!/usr/bin/node\n// WANT_JSON\nprocess.stdout.write(\'{"changed": false}\\n\');\n',
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, 'inventory.ini'), `localhost ansible_connection=local ansible_python_interpreter=${PYTHON}\n`);
  const cfg = path.join(dir, 'ansible.cfg');
  fs.writeFileSync(
    cfg,
    [
      '[defaults]',
      `library = ${library}`,
      `inventory = ${path.join(dir, 'inventory.ini')}`,
      'gathering = explicit',
      'retry_files_enabled = False',
      `interpreter_python = ${PYTHON}`,
      'localhost_warning = False',
      `callback_plugins = ${path.join(REPO_ROOT, 'test', 'playbook', 'callback_plugins')}`,
      'stdout_callback = json_report',
      '',
      '[connection]',
      'pipelining = True',
      '',
    ].join('\n'),
  );
  const args = { state: 'list', host: '127.0.0.1', port: fx.agent.httpPort };
  const variants: Array<{ id: string; file: string; ours?: boolean }> = [
    { id: 'play:ours', file: 'ours.yml', ours: true },
    { id: 'play:noop', file: 'noop.yml' },
    ...(python ? [{ id: 'play:python', file: 'python.yml' }] : []),
  ];
  fs.writeFileSync(path.join(dir, 'ours.yml'), playbookYaml('consul_session', args));
  fs.writeFileSync(path.join(dir, 'noop.yml'), playbookYaml('bench_noop', args));
  fs.writeFileSync(path.join(dir, 'python.yml'), playbookYaml('community.general.consul_session', args));
  const env = ansibleEnv({ ...cleanEnv(), ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: '1' });
  for (const key of Object.keys(env)) if (key.startsWith('CONSUL_') || /_proxy$/i.test(key)) delete env[key];
  const jobs: Job[] = variants.map((v) => ({
    id: v.id,
    spec: () => ({ cmd: 'ansible-playbook', args: [v.file], cwd: dir, env, timeoutMs: 300_000 }),
    check: (run) => {
      if (run.code !== 0) throw new Error(`ansible-playbook exited ${String(run.code)}`);
      const report = lastJsonDocument(run.stdout);
      const stats = report.stats.localhost;
      if (!stats || stats.ok !== PLAY_TASKS || stats.failures !== 0) throw new Error(`stats: ${JSON.stringify(stats)}`);
      const results = report.plays.flatMap((p) => p.tasks).map((t) => t.hosts.localhost);
      if (v.ours && !results.every((r) => r !== undefined && ranOurModule(r))) throw new Error('a task did not run our module');
    },
  }));
  log(`part 2: ${PLAY_TASKS}-task playbooks, ${jobs.length} variants interleaved, 1 warm-up + ${opts.playbookRounds} rounds`);
  const samples = await interleave(jobs, opts.playbookRounds, 1, (round, total) => log(`  round ${round + 1}/${total}`));
  const ours = stat(samples, 'play:ours')!;
  const noop = stat(samples, 'play:noop')!;
  const py = stat(samples, 'play:python');
  const oursOverNoop = ratio(ours.median, noop.median);
  const pyOverOurs = py ? ratio(py.median, ours.median) : undefined;
  return {
    tasks: PLAY_TASKS,
    rounds: opts.playbookRounds,
    ours,
    noop,
    python: py,
    oursOverNoop,
    pythonOverOurs: pyOverOurs,
    oursPerTaskOverNoopMs: Math.round(((ours.median - noop.median) / PLAY_TASKS) * 100) / 100,
    pythonPerTaskOverNoopMs: py ? Math.round(((py.median - noop.median) / PLAY_TASKS) * 100) / 100 : undefined,
    verdicts: {
      oursOverNoop: verdict(oursOverNoop <= 1.15),
      pythonOverOurs: pyOverOurs === undefined ? 'SKIP' : verdict(pyOverOurs >= 1.6),
    },
  };
}

async function bigList(fx: Fixture, opts: Options, python: boolean, gnuTime: boolean): Promise<BenchResult['bigList']> {
  const before = Date.now();
  log(`part 3: seeding ${opts.sessions} sessions`);
  await seedSessions(fx.agent, opts.sessions, { concurrency: 32, name: (i) => `${fx.prefix}-seed-${i}` });
  const seedSeconds = Math.round((Date.now() - before) / 100) / 10;
  const rss = new Map<string, number[]>();
  const wrap = (id: string, spec: RunSpec): { spec: RunSpec; file: string } => {
    const file = path.join(fx.tmp, `rss-${id.replace(/\W/g, '_')}.txt`);
    if (!gnuTime) return { spec, file };
    return { spec: { ...spec, cmd: GNU_TIME, args: ['-f', '%M', '-o', file, spec.cmd, ...spec.args] }, file };
  };
  const recordRss = (id: string, file: string): void => {
    if (!gnuTime) return;
    const kib = Number(fs.readFileSync(file, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no %M figure in ${file}`);
    rss.set(id, [...(rss.get(id) ?? []), kib]);
  };
  const listJob = (id: string, base: RunSpec): Job<string> => ({
    id,
    setup: () => Promise.resolve(''),
    spec: () => {
      const w = wrap(id, base);
      return { ...w.spec, timeoutMs: 120_000 };
    },
    check: (run) => {
      const n = sessionsOf(parseResult(run)).length;
      if (n < opts.sessions) throw new Error(`listed ${n} sessions, expected ≥ ${opts.sessions}`);
      recordRss(id, wrap(id, base).file);
    },
  });
  const jobs = [
    listJob('list10k:ours', ourSpec(fx, { state: 'list' }, fx.agent.httpPort)),
    ...(python ? [listJob('list10k:python', pySpec(fx, { state: 'list' }, fx.agent.httpPort))] : []),
  ];
  log(`part 3: list of ${opts.sessions}, ${jobs.length} candidates interleaved, 1 warm-up + ${opts.listRuns} runs`);
  const samples = await interleave(jobs, opts.listRuns, 1);
  // The warm-up run's RSS is recorded too: drop it so RSS and wall figures describe the same runs.
  const rssOf = (id: string): number | undefined => {
    const all = rss.get(id);
    if (!all || all.length <= 1) return undefined;
    return Math.max(...all.slice(1));
  };
  const ours = stat(samples, 'list10k:ours')!;
  const oursRss = rssOf('list10k:ours');
  return {
    sessions: opts.sessions,
    runs: opts.listRuns,
    seedSeconds,
    ours,
    oursPeakRssKiB: oursRss,
    python: stat(samples, 'list10k:python'),
    pythonPeakRssKiB: rssOf('list10k:python'),
    memoryNote: gnuTime ? undefined : `peak RSS skipped: ${GNU_TIME} is missing (Debian: apt-get install time)`,
    verdicts: {
      wall: verdict(ours.median < 500),
      rss: oursRss === undefined ? 'SKIP' : verdict(oursRss < 150 * 1024),
    },
  };
}

function bundleSize(): BenchResult['bundle'] {
  const code = fs.readFileSync(MODULE);
  return { bytes: code.length, gzipBytes: zlib.gzipSync(code, { level: 9 }).length };
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  ensureBuilt();
  const pyProblem = pythonProblem(opts.python);
  if (pyProblem) log(`Python module: ${pyProblem}`);
  const python = pyProblem === undefined;
  const gnuTime = commandOk(GNU_TIME, ['-f', '%M', 'true']);
  if (!gnuTime) log(`peak memory: skipped, ${GNU_TIME} (GNU time) is missing`);
  const ansible = commandOk('sh', ['-c', 'command -v ansible-playbook']);
  if (!ansible && !opts.quick) log('playbook part: skipped, ansible-playbook is not on PATH (Debian: apt-get install ansible-core)');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'consul-session-bench-'));
  log('starting a Consul dev agent');
  const agent = await startDevAgent();
  try {
    const fx: Fixture = { agent, tmp, env: cleanEnv(), hitName: '', hitId: '', prefix: `bench-${process.pid}`, counter: 0 };
    // The session `present` finds and `info` reads: created by the module itself, so it matches exactly.
    fx.hitName = `${fx.prefix}-hit`;
    const first = await timedRun(ourSpec(fx, { state: 'present', name: fx.hitName, node: agent.nodeName }, agent.httpPort));
    fx.hitId = idOf(parseResult(first));

    log('part 4: HTTP requests per state (through a counting proxy)');
    const requests = await requestCounts(fx, python);
    const direct = await directRuns(fx, opts, python);
    const playbook = opts.quick || !ansible ? undefined : await playbooks(fx, opts, python);
    const big = opts.quick ? undefined : await bigList(fx, opts, python, gnuTime);

    const hitRequests = requests.present_hit?.ours.total ?? NaN;
    const result: BenchResult = {
      when: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      options: { ...opts },
      environment: {
        node: process.version,
        nodePath: NODE,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        platform: `${os.type()} ${os.release()}`,
        consul: firstLine(consulBinary(), ['version']),
        ansible: ansible ? firstLine('ansible', ['--version']) : undefined,
        python: python ? firstLine(PYTHON, ['--version']) : undefined,
        commit: firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
        dirty: firstLine('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src', 'scripts', 'dist']) !== '',
      },
      skipped: {
        python: pyProblem,
        playbook: opts.quick ? 'skipped (--quick)' : ansible ? undefined : 'skipped: ansible-playbook is not on PATH',
        bigList: opts.quick ? 'skipped (--quick)' : undefined,
      },
      bundle: bundleSize(),
      requests,
      direct,
      playbook,
      bigList: big,
      targets: {
        presentHitRequests: { value: hitRequests, target: 2, verdict: verdict(hitRequests <= 2) },
      },
    };
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), opts.out) || opts.out} in ${result.seconds} s`);
    process.stdout.write(markdownReport(result));
  } finally {
    await agent.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
