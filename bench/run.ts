/**
 * `npm run bench` — the start-up benchmark (issues 6 and 12). Starts its own Consul dev agent (free
 * loopback ports, never 8500) and measures, with each Node.js binary given (options.ts) and every
 * comparison interleaved within this one run:
 *   1. one direct run per state of consul_session (and consul_lock, when built) vs `node -e 0`, vs one
 *      plain http.get, and vs the classic Python module;
 *   2. 20-task playbooks of ours vs the Python module vs a no-op WANT_JSON node module;
 *   3. `state: list` of 10,000 sessions: wall time and peak RSS (GNU time's %M);
 *   4. the bundles' sizes and the HTTP requests each state makes (counted by a proxy of our own);
 *   5. the lock handoff: how soon the next waiter is inside after a release, for consul_lock,
 *      consul_semaphore and `consul lock` (handoff.ts; `--handoff-only` runs just this part).
 * With `--baseline REV` the modules of that revision run beside this build's, for before/after.
 * Progress goes to stderr; stdout gets a markdown report (README-ready); the figures go to
 * bench/results/latest.json (or --out FILE). `--help` lists the options.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { consulBinary, startDevAgent } from '../test/support/consul';
import { REPO_ROOT } from '../test/support/ansible';
import { timedRun } from './harness';
import { markdownReport } from './markdown';
import type { BenchResult, NodeResult } from './report';
import { createSession, moduleSpec, type Fixture } from './candidates';
import { heldKey, lockArgs } from './lock-candidates';
import { idOf, parseResult } from './checks';
import { baselineBuild, currentBuild, type Build } from './builds';
import { directRuns } from './direct';
import { handoffPart, type HandoffPart } from './handoff';
import { cleanEnv, commandOk, ensureBuilt, firstLine, GNU_TIME, log, NODE_STARTUP_VARIABLES, PYTHON, pythonProblem } from './environment';
import { bigList, seedList } from './list10k';
import { resolveNodes } from './nodes';
import { parseOptions } from './options';
import { playbooks } from './playbook';
import { bundleSizes, requestCounts } from './requests';
import { verdict } from './shared';

/** The sessions `info` and `present` find, and the lock `lock_held` runs find held: made by the modules themselves. */
async function prepareFixture(fx: Fixture, builds: Build[], node: Parameters<typeof moduleSpec>[1]): Promise<void> {
  const ours = builds[0]!;
  fx.hitName = `${fx.prefix}-hit`;
  const first = await timedRun(moduleSpec(fx, node, ours.session, { state: 'present', name: fx.hitName, node: fx.agent.nodeName }, fx.agent.httpPort));
  fx.hitId = idOf(parseResult(first));
  if (ours.lock === undefined) return;
  fx.lockSession = await createSession(fx, `${fx.prefix}-locks`);
  const taken = await timedRun(moduleSpec(fx, node, ours.lock, lockArgs(fx, heldKey(fx)), fx.agent.httpPort));
  parseResult(taken);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const nodes = resolveNodes(opts.nodes, log);
  const ours = currentBuild();
  ensureBuilt(ours.session);
  // The handoff part never runs the Python module: no need to look for it (or install it).
  const pyProblem = opts.handoffOnly ? 'skipped (--handoff-only)' : pythonProblem(opts.python);
  if (pyProblem) log(`Python module: ${pyProblem}`);
  const python = pyProblem === undefined;
  const gnuTime = commandOk(GNU_TIME, ['-f', '%M', 'true']);
  if (!gnuTime) log(`peak memory: skipped, ${GNU_TIME} (GNU time) is missing`);
  const ansible = commandOk('sh', ['-c', 'command -v ansible-playbook']);
  const only = opts.handoffOnly;
  if (!ansible && !opts.quick && !only) log('playbook part: skipped, ansible-playbook is not on PATH (Debian: apt-get install ansible-core)');
  const dropped = NODE_STARTUP_VARIABLES.filter((name) => process.env[name] !== undefined);
  if (dropped.length) log(`measuring without ${dropped.join(', ')} (see bench/environment.ts)`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'consul-bench-'));
  const builds = [ours, ...(opts.baseline === undefined ? [] : [baselineBuild(opts.baseline, tmp)])];
  log(`measuring ${builds.map((b) => b.label).join(' and ')} with ${nodes.map((n) => `${n.version} (${n.path})`).join(', ')}`);
  log('starting a Consul dev agent');
  const agent = await startDevAgent();
  try {
    const fx: Fixture = { agent, tmp, env: cleanEnv(), hitName: '', hitId: '', prefix: `bench-${process.pid}`, counter: 0, lockSession: '' };
    let requests: BenchResult['requests'] = {};
    const results: NodeResult[] = only ? [] : nodes.map((node) => ({ node, direct: undefined!, playbook: undefined, bigList: undefined }));
    let seedSeconds: number | undefined;
    if (!only) {
      await prepareFixture(fx, builds, nodes[0]!);
      log('part 4: HTTP requests per state (through a counting proxy)');
      requests = await requestCounts(fx, nodes[0]!, ours, python);
      for (const r of results) r.direct = await directRuns(fx, opts, r.node, builds, python);
      if (!opts.quick && ansible) for (const r of results) r.playbook = await playbooks(fx, opts, r.node, builds, python);
      seedSeconds = opts.quick ? undefined : await seedList(fx, opts);
      if (!opts.quick) for (const r of results) r.bigList = await bigList(fx, opts, r.node, builds, python, gnuTime);
    }
    const semaphore = path.join(REPO_ROOT, 'dist', 'consul_semaphore.js');
    const handoffSkipped = opts.quick ? 'skipped (--quick)' : ours.lock === undefined || !fs.existsSync(semaphore) ? 'skipped: dist/consul_lock.js or dist/consul_semaphore.js does not exist' : undefined;
    let handoff: HandoffPart | undefined;
    if (handoffSkipped === undefined) {
      log(`part 5: lock handoff, ${opts.handoffRounds} rounds of 1 holder + ${opts.handoffWaiters} waiters per tool, with ${nodes[0]!.version}`);
      const handoffOptions = { rounds: opts.handoffRounds, waiters: opts.handoffWaiters, holdMs: opts.handoffHoldMs };
      handoff = await handoffPart(agent, nodes[0]!, { consul_lock: ours.lock!, consul_semaphore: semaphore }, handoffOptions, tmp);
    }

    const hitRequests = requests.present_hit?.ours.total ?? NaN;
    const result: BenchResult = {
      when: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      options: { ...opts },
      environment: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        platform: `${os.type()} ${os.release()}`,
        consul: firstLine(consulBinary(), ['version']),
        ansible: ansible ? firstLine('ansible', ['--version']) : undefined,
        python: python ? firstLine(PYTHON, ['--version']) : undefined,
        commit: firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
        dirty: firstLine('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src', 'scripts', 'dist']) !== '',
        dropped,
      },
      baseline: builds[1]?.label,
      skipped: {
        python: pyProblem,
        playbook: only ? 'skipped (--handoff-only)' : opts.quick ? 'skipped (--quick)' : ansible ? undefined : 'skipped: ansible-playbook is not on PATH',
        bigList: only ? 'skipped (--handoff-only)' : opts.quick ? 'skipped (--quick)' : undefined,
        lock: ours.lock === undefined ? 'skipped: dist/consul_lock.js does not exist' : undefined,
        handoff: handoffSkipped,
      },
      handoff,
      bundles: bundleSizes(builds),
      requests,
      seedSeconds,
      nodes: results,
      targets: { presentHitRequests: { value: hitRequests, target: 2, verdict: verdict(hitRequests <= 2) } },
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
