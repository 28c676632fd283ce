/**
 * The shape of bench/results/latest.json. markdown.ts renders it (printed by `npm run bench`, meant to
 * be pasted into README's Performance section).
 */
import type { Summary } from './harness';
import type { HandoffPart } from './handoff';
import type { NodeBinary } from './nodes';

export type Verdict = 'PASS' | 'MISS' | 'SKIP';

export interface RequestCount {
  total: number;
  /** "METHOD /path" → count (session IDs shown as {id}, query strings dropped) */
  paths: Record<string, number>;
}

export interface DirectRow {
  module: 'consul_session' | 'consul_lock';
  /** list, info, present_hit, present_create, absent; lock_acquire, lock_held */
  state: string;
  ours: Summary;
  /** ours ÷ `node -e 0`; this and every ratio below: the median of per-round ratios (shared.ts pairedRatio) */
  oursRatio: number;
  /** ours ÷ one plain http.get */
  oursOverGet: number;
  baseline: Summary | undefined;
  baselineRatio: number | undefined;
  python: Summary | undefined;
  pythonRatio: number | undefined;
  pythonOverOurs: number | undefined;
  target: number;
  verdict: Verdict;
}

export interface DirectPart {
  rounds: number;
  warmup: number;
  floor: Summary;
  /** one plain http.get: read the args file, one GET with node:http, print JSON */
  oneGet: Summary;
  oneGetRatio: number;
  rows: DirectRow[];
}

export interface PlaybookRow {
  /** ours:session, ours:session-fqcn, ours:lock, baseline:session, baseline:lock */
  id: string;
  playbook: Summary;
  overNoop: number;
  perTaskOverNoopMs: number;
  /** the Python module's playbook / this one (consul_session rows only) */
  pythonOver: number | undefined;
  verdicts: { overNoop: Verdict; pythonOver: Verdict };
}

export interface PlaybookPart {
  tasks: number;
  rounds: number;
  noop: Summary;
  python: Summary | undefined;
  pythonPerTaskOverNoopMs: number | undefined;
  rows: PlaybookRow[];
  /** consul_session by its short name minus by its FQCN, per task (median of the rounds' differences) */
  fqcnSavesMsPerTask?: number;
}

export interface BigListRow {
  /** ours, baseline, python */
  id: string;
  wall: Summary;
  peakRssKiB: number | undefined;
  verdicts: { wall: Verdict; rss: Verdict } | undefined;
}

export interface BigListPart {
  sessions: number;
  runs: number;
  rows: BigListRow[];
  memoryNote: string | undefined;
}

/** Everything measured with one Node.js binary. */
export interface NodeResult {
  node: NodeBinary;
  direct: DirectPart;
  playbook: PlaybookPart | undefined;
  bigList: BigListPart | undefined;
}

export interface BenchResult {
  when: string;
  seconds: number;
  options: Record<string, unknown>;
  environment: {
    cpu: string;
    cpus: number;
    platform: string;
    consul: string;
    ansible: string | undefined;
    python: string | undefined;
    commit: string;
    /** src/, scripts/ or dist/ had uncommitted changes when this ran */
    dirty: boolean;
    /** variables of the bench's environment that the measured commands did not get (environment.ts) */
    dropped: string[];
  };
  /** how the baseline build is named, when --baseline was given */
  baseline: string | undefined;
  /** why a part or column is missing (undefined: it ran) */
  skipped: { python: string | undefined; playbook: string | undefined; bigList: string | undefined; lock: string | undefined; handoff: string | undefined };
  /** consul_lock, consul_semaphore and `consul lock` handing one lock on (handoff.ts); undefined when skipped */
  handoff: HandoffPart | undefined;
  /** e.g. 'ours:consul_session' → sizes */
  bundles: Record<string, { bytes: number; gzipBytes: number }>;
  /** per state: the requests one run makes, ours and (where it has the state) the Python module's */
  requests: Record<string, { ours: RequestCount; python?: RequestCount }>;
  seedSeconds: number | undefined;
  /** per Node.js binary; empty with --handoff-only */
  nodes: NodeResult[];
  targets: { presentHitRequests: { value: number; target: number; verdict: Verdict } };
}
