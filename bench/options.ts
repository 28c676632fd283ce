/**
 * `npm run bench` options. Node.js binaries to measure come from `--node` (repeatable) or BENCH_NODES
 * (colon-separated); each is a path, or a major version that scripts/fetch-node.sh resolves (see
 * nodes.ts). Without either, Node.js 20 and 22 are measured.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/support/ansible';

export interface Options {
  rounds: number;
  warmup: number;
  playbookRounds: number;
  listRuns: number;
  sessions: number;
  quick: boolean;
  /** The handoff part (handoff.ts): rounds, waiters besides the holder, how long each holds. */
  handoffRounds: number;
  handoffWaiters: number;
  handoffHoldMs: number;
  /** Only the handoff part (its figures are independent of the start-up parts). */
  handoffOnly: boolean;
  python: boolean;
  /** Node.js binaries (paths or major versions) to run every module and floor with. */
  nodes: string[];
  /** A git revision (or a directory holding its dist/) whose modules are measured beside ours. */
  baseline: string | undefined;
  out: string;
}

export const USAGE = `npm run bench -- [--rounds N] [--warmup N] [--playbook-rounds N] [--list-runs N] [--sessions N]
                 [--node PATH|MAJOR]... [--baseline REV|DIR] [--quick] [--no-python] [--out FILE]
                 [--handoff-rounds N] [--handoff-waiters N] [--handoff-hold-ms MS] [--handoff-only]

  --node PATH|MAJOR  measure with this Node.js (repeatable; also BENCH_NODES=a:b). A bare major version
                     such as 22 is resolved by scripts/fetch-node.sh. Default: 20 and 22 (fetched into
                     .cache/node/ unless the machine's node is that major).
  --baseline REV     also measure dist/*.js of that git revision (or of DIR/dist), interleaved with
                     the current build, for a before/after table.
  --quick            direct runs only (no playbook, no 10,000-session list, no handoff); for the smoke test.
  --handoff-rounds N rounds of the lock handoff part (default 5): per round and tool, one holder and
                     --handoff-waiters (default 5) waiters take turns, each holding --handoff-hold-ms (200).
  --handoff-only     only the handoff part (with the first --node).`;

const intArg = (name: string, value: string | undefined, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer ≥ ${min}, got ${String(value)}`);
  return n;
};

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const opts: Options = {
    rounds: 20,
    warmup: 2,
    playbookRounds: 7,
    listRuns: 5,
    sessions: 10_000,
    quick: false,
    handoffRounds: 5,
    handoffWaiters: 5,
    handoffHoldMs: 200,
    handoffOnly: false,
    python: true,
    nodes: [],
    baseline: undefined,
    out: path.join(REPO_ROOT, 'bench', 'results', 'latest.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--rounds': opts.rounds = intArg(arg, argv[++i], 1); break;
      case '--warmup': opts.warmup = intArg(arg, argv[++i], 0); break;
      case '--playbook-rounds': opts.playbookRounds = intArg(arg, argv[++i], 1); break;
      case '--list-runs': opts.listRuns = intArg(arg, argv[++i], 1); break;
      case '--sessions': opts.sessions = intArg(arg, argv[++i], 1); break;
      case '--node': opts.nodes.push(value()); break;
      case '--baseline': opts.baseline = value(); break;
      case '--quick': opts.quick = true; break;
      case '--handoff-rounds': opts.handoffRounds = intArg(arg, argv[++i], 1); break;
      case '--handoff-waiters': opts.handoffWaiters = intArg(arg, argv[++i], 1); break;
      case '--handoff-hold-ms': opts.handoffHoldMs = intArg(arg, argv[++i], 0); break;
      case '--handoff-only': opts.handoffOnly = true; break;
      case '--no-python': opts.python = false; break;
      case '--out': opts.out = path.resolve(value()); break;
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  if (opts.nodes.length === 0 && env.BENCH_NODES) opts.nodes = env.BENCH_NODES.split(':').filter(Boolean);
  if (opts.quick && opts.handoffOnly) throw new Error('--quick skips the handoff part, which is all --handoff-only runs');
  if (opts.quick) opts.warmup = Math.min(opts.warmup, 1);
  if (opts.baseline !== undefined && fs.existsSync(opts.baseline)) opts.baseline = path.resolve(opts.baseline);
  return opts;
}
