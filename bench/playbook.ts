/** Part 2: a 20-task playbook of ours vs the Python module vs a no-op WANT_JSON node module. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ansibleEnv, lastJsonDocument, ranOurModule, REPO_ROOT } from '../test/support/ansible';
import { interleave, ratio, type Job } from './harness';
import type { BenchResult } from './report';
import type { Fixture } from './candidates';
import { cleanEnv, log, MODULE, PYTHON } from './environment';
import { stat, verdict, type Options } from './shared';

const PLAY_TASKS = 20;

function playbookYaml(action: string, args: Record<string, unknown>): string {
  const argText = JSON.stringify(args);
  const tasks = Array.from({ length: PLAY_TASKS }, (_, i) => `    - name: task ${i + 1}\n      ${action}: ${argText}\n`).join('');
  return `- name: ${PLAY_TASKS} x ${action}\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${tasks}`;
}

export async function playbooks(fx: Fixture, opts: Options, python: boolean): Promise<BenchResult['playbook']> {
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
