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
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { consulBinary, startDevAgent } from '../test/support/consul';
import { REPO_ROOT } from '../test/support/ansible';
import { timedRun } from './harness';
import { markdownReport, type BenchResult } from './report';
import { ourSpec, type Fixture } from './candidates';
import { idOf, parseResult } from './checks';
import { directRuns } from './direct';
import { cleanEnv, commandOk, ensureBuilt, firstLine, GNU_TIME, log, NODE, PYTHON, pythonProblem } from './environment';
import { bigList } from './list10k';
import { playbooks } from './playbook';
import { bundleSize, requestCounts } from './requests';
import { verdict, type Options } from './shared';

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

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
