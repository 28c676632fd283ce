/** The markdown `npm run bench` prints: README-ready tables of a BenchResult, one section per Node.js. */
import type { Summary } from './harness';
import { HANDOFF_TARGET_MS, type HandoffPart } from './handoff';
import type { BenchResult, BigListPart, DirectPart, NodeResult, PlaybookPart, Verdict } from './report';

const ms = (s: Summary | undefined): string => (s ? `${s.median.toFixed(1)} ms` : '—');
const x = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const mib = (kib: number | undefined): string => (kib === undefined ? '—' : `${(kib / 1024).toFixed(1)} MiB`);
const mark = (v: Verdict | undefined): string => (v === 'PASS' ? '**PASS**' : v === 'MISS' ? '**MISS**' : '');
const major = (n: NodeResult): string => `Node ${n.node.version.replace(/^v(\d+).*/, '$1')}`;

const RUN_LABEL: Record<string, string> = {
  list: '`list`',
  info: '`info`',
  present_hit: '`present`, exists (`node` given)',
  present_create: '`present`, creates',
  absent: '`absent`, removes',
  lock_acquire: 'consul_lock `acquired`, free lock',
  lock_held: 'consul_lock `acquired`, already held',
};
const VARIANT_LABEL: Record<string, string> = {
  'ours:session': 'consul_session (`list`), this build',
  'ours:session-fqcn': 'consul_ts.consul.consul_session (`list`, by FQCN), this build',
  'baseline:session': 'consul_session (`list`), baseline',
  'ours:lock': 'consul_lock (`acquired`, held), this build',
  'baseline:lock': 'consul_lock (`acquired`, held), baseline',
  ours: 'consul_session, this build',
  baseline: 'consul_session, baseline',
  python: 'Python module',
};

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function directTable(d: DirectPart, r: BenchResult): string[] {
  const withBaseline = d.rows.some((row) => row.baseline !== undefined);
  const withPython = d.rows.some((row) => row.python !== undefined);
  const header = ['run', 'this build', '÷ `node -e 0`', 'target ≤ 1.4×', '÷ one http.get'];
  if (withBaseline) header.push('baseline', 'baseline ÷ `node -e 0`');
  if (withPython) header.push('Python module', 'Python ÷ this');
  header.push('requests this / Python');
  const rows = d.rows.map((row) => {
    const req = r.requests[row.state];
    const cells = [RUN_LABEL[row.state] ?? row.state, ms(row.ours), x(row.oursRatio), mark(row.verdict), x(row.oursOverGet)];
    if (withBaseline) cells.push(ms(row.baseline), x(row.baselineRatio));
    if (withPython) cells.push(ms(row.python) + (row.state === 'present_hit' && row.python ? ' †' : ''), x(row.pythonOverOurs));
    cells.push(`${req?.ours.total ?? '—'} / ${req?.python?.total ?? '—'}`);
    return cells;
  });
  const out = [
    `#### Direct runs (${d.rounds} rounds after ${d.warmup} warm-up; \`node -e 0\`: ${ms(d.floor)}; one plain http.get: ${ms(d.oneGet)}, ${x(d.oneGetRatio)} \`node -e 0\`)`,
    '',
    table(header, rows),
    '',
  ];
  if (withPython) {
    out.push(
      '† The Python module has no idempotent `present`: every run creates a session (one PUT), so both `present` rows show that run. ' +
        'Its `absent` removes by `id`; ours removes by `name` (the session is created just before each run, outside the timed region).',
      '',
    );
  }
  return out;
}

function playbookTable(p: PlaybookPart): string[] {
  const rows = [["no-op WANT_JSON node module (Ansible's floor)", ms(p.noop), '—', '1.00×', '', '', '']];
  for (const row of p.rows) {
    rows.push([VARIANT_LABEL[row.id] ?? row.id, ms(row.playbook), `${row.perTaskOverNoopMs.toFixed(1)} ms`, x(row.overNoop), mark(row.verdicts.overNoop), x(row.pythonOver), mark(row.verdicts.pythonOver)]);
  }
  if (p.python) rows.push(['Python `community.general.consul_session` (`list`)', ms(p.python), `${p.pythonPerTaskOverNoopMs?.toFixed(1)} ms`, '—', '', '', '']);
  const saves = p.fqcnSavesMsPerTask === undefined ? [] : [`The FQCN saves ${p.fqcnSavesMsPerTask.toFixed(1)} ms per task over the short name (median of the rounds' differences).`, ''];
  return [
    `#### A ${p.tasks}-task playbook (localhost, ${p.rounds} rounds after 1 warm-up)`,
    '',
    table(['module', 'playbook', 'per task over the no-op', '÷ no-op', 'target ≤ 1.15×', 'Python ÷ this', 'target ≥ 1.6×'], rows),
    '',
    ...saves,
  ];
}

function bigListTable(b: BigListPart): string[] {
  const rows = b.rows.map((row) => [VARIANT_LABEL[row.id] ?? row.id, ms(row.wall), mark(row.verdicts?.wall), mib(row.peakRssKiB), mark(row.verdicts?.rss)]);
  const out = [
    `#### \`list\` of ${b.sessions.toLocaleString('en-US')} sessions (median of ${b.runs} runs after 1 warm-up)`,
    '',
    table(['module', 'wall', 'target < 0.5 s', 'peak RSS', 'target < 150 MiB'], rows),
    '',
  ];
  if (b.memoryNote) out.push(b.memoryNote, '');
  return out;
}

function handoffTable(h: HandoffPart): string[] {
  const signed = (v: number | undefined) => (v === undefined ? '—' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(1)} ms`);
  const rows = h.rows.map((row) => [
    row.tool === 'consul lock' ? '`consul lock` (CLI)' : row.tool === 'consul_semaphore' ? 'consul_semaphore (`limit: 1`)' : row.tool,
    ms(row.handoff),
    ms(row.toTake),
    row.handoff ? `${row.handoff.min.toFixed(1)}–${row.handoff.max.toFixed(1)} ms` : '—',
    signed(row.overCli),
    mark(row.verdict),
    ms(row.freshRun),
    `${row.maxInside}`,
    `${row.gotIn} of ${row.contenders}`,
  ]);
  const out = [
    `#### Lock handoff (${h.rounds} rounds of 1 holder + ${h.waiters} waiters per tool, each holding ${h.holdMs} ms; ${h.rows[0]?.handoff?.n ?? 0} handoffs per tool)`,
    '',
    table(['tool', 'handoff, median', 'of which Consul (release → next acquire answered)', 'min–max', 'ours − CLI', `target ≤ ${HANDOFF_TARGET_MS} ms`, 'a fresh run on a free lock', 'most inside at once', 'got in'], rows),
    '',
  ];
  if (h.problems.length) out.push(`Problems: ${h.problems.join('; ')}.`, '');
  return out;
}

/** Before → after per Node.js, when a baseline was measured: the targets' figures side by side. */
function beforeAfter(r: BenchResult): string[] {
  if (r.baseline === undefined) return [];
  const header = ['', ...r.nodes.flatMap((n) => [`${major(n)} before`, `${major(n)} after`])];
  const rows: string[][] = [];
  const states = r.nodes[0]?.direct.rows.map((row) => row.state) ?? [];
  for (const state of states) {
    rows.push([
      `${RUN_LABEL[state] ?? state}: ms (÷ \`node -e 0\`)`,
      ...r.nodes.flatMap((n) => {
        const row = n.direct.rows.find((d) => d.state === state);
        return [row?.baseline ? `${ms(row.baseline)} (${x(row.baselineRatio)})` : '—', row ? `${ms(row.ours)} (${x(row.oursRatio)})` : '—'];
      }),
    ]);
  }
  for (const [kind, label] of [['session', 'consul_session'], ['lock', 'consul_lock']] as const) {
    if (!r.nodes.some((n) => n.playbook?.rows.some((row) => row.id === `ours:${kind}`))) continue;
    const pick = (n: NodeResult, id: string) => n.playbook?.rows.find((row) => row.id === id);
    rows.push([
      `20-task ${label} playbook ÷ no-op`,
      ...r.nodes.flatMap((n) => [x(pick(n, `baseline:${kind}`)?.overNoop), x(pick(n, `ours:${kind}`)?.overNoop)]),
    ]);
    if (kind === 'session') {
      rows.push(['Python playbook ÷ ours', ...r.nodes.flatMap((n) => [x(pick(n, 'baseline:session')?.pythonOver), x(pick(n, 'ours:session')?.pythonOver)])]);
    }
  }
  if (r.nodes.some((n) => n.bigList)) {
    const pick = (n: NodeResult, id: string) => n.bigList?.rows.find((row) => row.id === id);
    const cell = (n: NodeResult, id: string) => (pick(n, id) ? `${ms(pick(n, id)?.wall)}, ${mib(pick(n, id)?.peakRssKiB)}` : '—');
    const sessions = r.nodes.find((n) => n.bigList)?.bigList?.sessions ?? 0;
    rows.push([`\`list\` of ${sessions.toLocaleString('en-US')}: wall, peak RSS`, ...r.nodes.flatMap((n) => [cell(n, 'baseline'), cell(n, 'ours')])]);
  }
  return [`### Before and after (${r.baseline} → this build)`, '', table(header, rows), ''];
}

export function markdownReport(r: BenchResult): string {
  const env = r.environment;
  const nodes = r.nodes.length ? r.nodes.map((n) => `Node.js ${n.node.version}`).join(' and ') : `Node.js ${r.handoff?.node ?? '?'}`;
  const out: string[] = [
    `Measured by \`npm run bench${r.nodes.length ? '' : ' -- --handoff-only'}\` on ${r.when.slice(0, 10)}: ${env.cpus} × ${env.cpu}, ${nodes}, ` +
      `${env.consul || 'Consul'} (dev agent), ${env.python ?? 'no Python'}, ${env.ansible ?? 'no Ansible'}; ` +
      `commit ${env.commit}${env.dirty ? ' plus uncommitted changes' : ''}. Times are medians. Every candidate runs once per ` +
      `round, in an order rotated each round, and every ratio is the median of the per-round ratios (this machine is ` +
      `shared: runs of one round meet the same load, so absolute times are context only).` +
      (env.dropped.length ? ` Measured without ${env.dropped.map((v) => `\`${v}\``).join(', ')}, which this machine sets and Node reads at every start.` : ''),
    '',
    ...beforeAfter(r),
  ];
  for (const n of r.nodes) {
    out.push(`### Node.js ${n.node.version}`, '', ...directTable(n.direct, r));
    if (n.playbook) out.push(...playbookTable(n.playbook));
    if (n.bigList) out.push(...bigListTable(n.bigList));
  }
  if (r.handoff) out.push(...handoffTable(r.handoff));
  for (const [part, why] of Object.entries(r.skipped)) if (why) out.push(`${part}: ${why}.`, '');
  if (r.nodes.length === 0) return `${out.join('\n')}\n`;
  const hit = r.targets.presentHitRequests;
  out.push(
    `HTTP requests of \`present\` that finds its session, \`node\` given: ${hit.value} (target ≤ ${hit.target}: ${mark(hit.verdict)}).`,
    '',
    'Bundles: ' + Object.entries(r.bundles).map(([id, b]) => `${id} ${b.bytes.toLocaleString('en-US')} bytes (${b.gzipBytes.toLocaleString('en-US')} gzipped)`).join('; ') + '.',
    '',
    'Requests per run (this build): ' +
      Object.entries(r.requests)
        .map(([state, c]) => `${state}: ${Object.entries(c.ours.paths).map(([k, n]) => `\`${k}\`${n > 1 ? ` ×${n}` : ''}`).join(' + ')}`)
        .join('; ') +
      '.',
    '',
  );
  return `${out.join('\n')}\n`;
}
