/**
 * The shape of bench/results/latest.json and its markdown rendering (printed by `npm run bench`, meant
 * to be pasted into README's Performance section).
 */
import type { Summary } from './harness';

export type Verdict = 'PASS' | 'MISS' | 'SKIP';

export interface RequestCount {
  total: number;
  /** "METHOD /path" → count (session IDs shown as {id}, query strings dropped) */
  paths: Record<string, number>;
}

export interface DirectRow {
  state: string;
  ours: Summary;
  /** ours' median / `node -e 0`'s median */
  oursRatio: number;
  python: Summary | undefined;
  pythonRatio: number | undefined;
  pythonOverOurs: number | undefined;
  target: number;
  verdict: Verdict;
}

export interface BenchResult {
  when: string;
  seconds: number;
  options: Record<string, unknown>;
  environment: {
    node: string;
    nodePath: string;
    cpu: string;
    cpus: number;
    platform: string;
    consul: string;
    ansible: string | undefined;
    python: string | undefined;
    commit: string;
    /** src/, scripts/ or dist/ had uncommitted changes when this ran */
    dirty: boolean;
  };
  /** why a part or column is missing (undefined: it ran) */
  skipped: { python: string | undefined; playbook: string | undefined; bigList: string | undefined };
  bundle: { bytes: number; gzipBytes: number };
  /** per state: the requests one run makes, ours and (where it has the state) the Python module's */
  requests: Record<string, { ours: RequestCount; python?: RequestCount }>;
  direct: { rounds: number; warmup: number; floor: Summary; rows: DirectRow[] };
  playbook:
    | {
        tasks: number;
        rounds: number;
        ours: Summary;
        noop: Summary;
        python: Summary | undefined;
        oursOverNoop: number;
        pythonOverOurs: number | undefined;
        oursPerTaskOverNoopMs: number;
        pythonPerTaskOverNoopMs: number | undefined;
        verdicts: { oursOverNoop: Verdict; pythonOverOurs: Verdict };
      }
    | undefined;
  bigList:
    | {
        sessions: number;
        runs: number;
        seedSeconds: number;
        ours: Summary;
        oursPeakRssKiB: number | undefined;
        python: Summary | undefined;
        pythonPeakRssKiB: number | undefined;
        memoryNote: string | undefined;
        verdicts: { wall: Verdict; rss: Verdict };
      }
    | undefined;
  targets: { presentHitRequests: { value: number; target: number; verdict: Verdict } };
}

const ms = (s: Summary | undefined): string => (s ? `${s.median.toFixed(1)} ms` : '—');
const x = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const mib = (kib: number | undefined): string => (kib === undefined ? '—' : `${(kib / 1024).toFixed(1)} MiB`);
const mark = (v: Verdict): string => (v === 'PASS' ? '**PASS**' : v === 'MISS' ? '**MISS**' : 'skipped');

const STATE_LABEL: Record<string, string> = {
  list: '`list`',
  info: '`info`',
  present_hit: '`present`, exists (`node` given)',
  present_create: '`present`, creates',
  absent: '`absent`, removes',
};

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function markdownReport(r: BenchResult): string {
  const out: string[] = [];
  const env = r.environment;
  out.push(
    `Measured by \`npm run bench\` on ${r.when.slice(0, 10)}: ${env.cpus} × ${env.cpu}, Node.js ${env.node}, ` +
      `${env.consul || 'Consul'} (dev agent), ${env.python ?? 'no Python'}, ${env.ansible ?? 'no Ansible'}; ` +
      `commit ${env.commit}${env.dirty ? ' plus uncommitted changes' : ''}. Medians; every ratio compares runs ` +
      `interleaved within the same benchmark run (this machine is shared, so absolute times are context only).`,
    '',
  );

  const d = r.direct;
  out.push(
    `### One direct run per state (${d.rounds} rounds after ${d.warmup} warm-up; \`node -e 0\`: ${ms(d.floor)})`,
    '',
  );
  const hasPy = d.rows.some((row) => row.python !== undefined);
  out.push(
    table(
      ['state', 'consul_session.js', '÷ `node -e 0`', 'target ≤ 1.4×', 'Python module', '÷ `node -e 0`', 'Python ÷ ours', 'HTTP requests ours / Python'],
      d.rows.map((row) => {
        const req = r.requests[row.state];
        const pyNote = row.state === 'present_hit' && hasPy ? ' †' : '';
        return [
          STATE_LABEL[row.state] ?? row.state,
          ms(row.ours),
          x(row.oursRatio),
          mark(row.verdict),
          ms(row.python) + pyNote,
          x(row.pythonRatio),
          x(row.pythonOverOurs),
          `${req?.ours.total ?? '—'} / ${req?.python?.total ?? '—'}`,
        ];
      }),
    ),
    '',
  );
  if (hasPy) {
    out.push(
      '† The Python module has no idempotent `present`: every run creates a session (one PUT), so both `present` rows show that run. ' +
        'Its `absent` removes by `id`; ours removes by `name` (the session is created just before each run, outside the timed region).',
      '',
    );
  }
  if (r.skipped.python) out.push(`Python module: ${r.skipped.python}.`, '');

  const hit = r.targets.presentHitRequests;
  const hitPaths = r.requests.present_hit?.ours.paths ?? {};
  out.push(
    `HTTP requests of \`present\` that finds its session, \`node\` given: ${hit.value} (target ≤ ${hit.target}: ${mark(hit.verdict)}) — ` +
      (Object.entries(hitPaths)
        .map(([p, n]) => `\`${p}\`${n > 1 ? ` ×${n}` : ''}`)
        .join(', ') || 'none'),
    '',
  );

  const p = r.playbook;
  if (p) {
    out.push(`### A ${p.tasks}-task playbook (\`state: list\`, localhost, ${p.rounds} rounds after 1 warm-up)`, '');
    out.push(
      table(
        ['module', 'playbook', 'per task over the no-op', 'ratio', 'target'],
        [
          ['no-op WANT_JSON node module (Ansible\'s floor)', ms(p.noop), '—', '1.00×', ''],
          ['consul_session.js', ms(p.ours), `${p.oursPerTaskOverNoopMs.toFixed(1)} ms`, `${x(p.oursOverNoop)} the no-op`, `≤ 1.15×: ${mark(p.verdicts.oursOverNoop)}`],
          [
            'Python `community.general.consul_session`',
            ms(p.python),
            p.pythonPerTaskOverNoopMs === undefined ? '—' : `${p.pythonPerTaskOverNoopMs.toFixed(1)} ms`,
            p.pythonOverOurs === undefined ? '—' : `${x(p.pythonOverOurs)} ours`,
            `ours ≥ 1.6× faster: ${mark(p.verdicts.pythonOverOurs)}`,
          ],
        ],
      ),
      '',
    );
  } else if (r.skipped.playbook) {
    out.push(`Playbook part: ${r.skipped.playbook}.`, '');
  }

  const b = r.bigList;
  if (b) {
    out.push(`### \`list\` of ${b.sessions.toLocaleString('en-US')} sessions (median of ${b.runs} runs after 1 warm-up)`, '');
    out.push(
      table(
        ['module', 'wall', 'target < 0.5 s', 'peak RSS', 'target < 150 MiB'],
        [
          ['consul_session.js', ms(b.ours), mark(b.verdicts.wall), mib(b.oursPeakRssKiB), mark(b.verdicts.rss)],
          ...(b.python ? [['Python module', ms(b.python), '', mib(b.pythonPeakRssKiB), '']] : []),
        ],
      ),
      '',
    );
    if (b.memoryNote) out.push(b.memoryNote, '');
  } else if (r.skipped.bigList) {
    out.push(`List of many sessions: ${r.skipped.bigList}.`, '');
  }

  out.push(
    `### Bundle`,
    '',
    `\`dist/consul_session.js\`: ${r.bundle.bytes.toLocaleString('en-US')} bytes, ${r.bundle.gzipBytes.toLocaleString('en-US')} gzipped.`,
    '',
    'Requests per state (ours): ' +
      Object.entries(r.requests)
        .map(([state, c]) => `${state}: ${Object.entries(c.ours.paths).map(([k, n]) => `\`${k}\`${n > 1 ? ` ×${n}` : ''}`).join(' + ')}`)
        .join('; ') +
      '.',
    '',
  );
  return `${out.join('\n')}\n`;
}
