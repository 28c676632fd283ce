/**
 * Part 2: 20-task playbooks with one Node.js binary (ansible_node_interpreter): each build's
 * consul_session (`state: list`) and consul_lock (`state: acquired` of a lock already held), this
 * build's consul_session once more by its FQCN (consul_ts.consul.consul_session, from a collection beside
 * the play, which the short name's routing through community.general never touches), the classic Python
 * module, and a no-op WANT_JSON node module (Ansible's own per-task cost), interleaved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ansibleEnv, lastJsonDocument, ranOurModule, REPO_ROOT, type HostResult } from '../test/support/ansible';
import { interleave, median, type Job } from './harness';
import type { PlaybookPart, PlaybookRow } from './report';
import type { Fixture } from './candidates';
import type { Build } from './builds';
import { heldKey, lockArgs } from './lock-candidates';
import { log, NODE_STARTUP_VARIABLES, PYTHON } from './environment';
import type { NodeBinary } from './nodes';
import { pairedRatio, stat, verdict, type Options } from './shared';

export const PLAY_TASKS = 20;
export const PLAYBOOK_TARGET = 1.15;
export const PYTHON_TARGET = 1.6;
/** This build's consul_session called by its FQCN from a collection. */
export const FQCN_ID = 'ours:session-fqcn';

function playbookYaml(action: string, args: Record<string, unknown>): string {
  const argText = JSON.stringify(args);
  const tasks = Array.from({ length: PLAY_TASKS }, (_, i) => `    - name: task ${i + 1}\n      ${action}: ${argText}\n`).join('');
  return `- name: ${PLAY_TASKS} x ${action}\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${tasks}`;
}

interface Variant {
  id: string;
  /** The module file copied into this variant's library/ under the name the playbook calls. */
  library?: { file: string; as: string };
  /** Or into collections/ beside the play, as plugins/modules/<as>.js of consul_ts.consul. */
  collection?: { file: string; as: string };
  action: string;
  args: Record<string, unknown>;
  isOurs?: (result: HostResult) => boolean;
}

function variantsOf(fx: Fixture, builds: Build[], python: boolean): Variant[] {
  const at = { host: '127.0.0.1', port: fx.agent.httpPort };
  const ranLock = (r: HostResult) => (r.invocation as { module_args?: Record<string, unknown> } | undefined)?.module_args?.key === heldKey(fx);
  const out: Variant[] = [{ id: 'noop', action: 'bench_noop', args: {} }];
  for (const build of builds) {
    out.push({ id: `${build.id}:session`, library: { file: build.session, as: 'consul_session' }, action: 'consul_session', args: { state: 'list', ...at }, isOurs: ranOurModule });
    if (build.id === 'ours') {
      const collection = { file: build.session, as: 'consul_session' };
      out.push({ id: FQCN_ID, collection, action: 'consul_ts.consul.consul_session', args: { state: 'list', ...at }, isOurs: ranOurModule });
    }
    if (build.lock !== undefined) {
      const args = { ...lockArgs(fx, heldKey(fx)), ...at };
      out.push({ id: `${build.id}:lock`, library: { file: build.lock, as: 'consul_lock' }, action: 'consul_lock', args, isOurs: ranLock });
    }
  }
  if (python) out.push({ id: 'python', action: 'community.general.consul_session', args: { state: 'list', ...at } });
  return out;
}

/** A directory per variant: its own library/ (so consul_session is the build's) and the same config. */
function prepare(fx: Fixture, bin: NodeBinary, v: Variant): string {
  const dir = path.join(fx.tmp, 'playbooks', bin.version, v.id.replace(/\W/g, '_'));
  const library = path.join(dir, 'library');
  fs.mkdirSync(library, { recursive: true });
  if (v.id === 'noop') {
    fs.writeFileSync(path.join(library, 'bench_noop.js'), '#!/usr/bin/node\n// WANT_JSON\nprocess.stdout.write(\'{"changed": false}\\n\');\n', { mode: 0o755 });
  } else if (v.library) {
    fs.copyFileSync(v.library.file, path.join(library, `${v.library.as}.js`));
    fs.chmodSync(path.join(library, `${v.library.as}.js`), 0o755);
  } else if (v.collection) {
    // The collection as users get it (its meta/runtime.yml with the action group), this build's module in it.
    const collection = path.join(dir, 'collections/ansible_collections/consul_ts/consul');
    const modules = path.join(collection, 'plugins/modules');
    fs.mkdirSync(modules, { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'collection/meta'), path.join(collection, 'meta'), { recursive: true });
    fs.copyFileSync(v.collection.file, path.join(modules, `${v.collection.as}.js`));
    fs.chmodSync(path.join(modules, `${v.collection.as}.js`), 0o755);
  }
  fs.writeFileSync(path.join(dir, 'inventory.ini'), `localhost ansible_connection=local ansible_python_interpreter=${PYTHON} ansible_node_interpreter=${bin.path}\n`);
  const cfg = [
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
  ];
  fs.writeFileSync(path.join(dir, 'ansible.cfg'), cfg.join('\n'));
  fs.writeFileSync(path.join(dir, 'play.yml'), playbookYaml(v.action, v.args));
  return dir;
}

export async function playbooks(fx: Fixture, opts: Options, bin: NodeBinary, builds: Build[], python: boolean): Promise<PlaybookPart> {
  const variants = variantsOf(fx, builds, python);
  const jobs: Job[] = variants.map((v) => {
    const dir = prepare(fx, bin, v);
    // ansibleEnv starts from the bench's own environment: take out again what cleanEnv() leaves out.
    const env = ansibleEnv({ ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' });
    for (const key of Object.keys(env)) if (key.startsWith('CONSUL_') || /_proxy$/i.test(key) || NODE_STARTUP_VARIABLES.includes(key)) delete env[key];
    return {
      id: v.id,
      spec: () => ({ cmd: 'ansible-playbook', args: ['play.yml'], cwd: dir, env, timeoutMs: 300_000 }),
      check: (run) => {
        if (run.code !== 0) throw new Error(`ansible-playbook exited ${String(run.code)}`);
        const report = lastJsonDocument(run.stdout);
        const stats = report.stats.localhost;
        if (!stats || stats.ok !== PLAY_TASKS || stats.failures !== 0) throw new Error(`stats: ${JSON.stringify(stats)}`);
        const results = report.plays.flatMap((p) => p.tasks).map((t) => t.hosts.localhost);
        if (v.isOurs && !results.every((r) => r !== undefined && v.isOurs!(r))) throw new Error(`a task did not run ${v.id}`);
      },
    };
  });
  log(`part 2 (${bin.version}): ${PLAY_TASKS}-task playbooks, ${jobs.length} variants interleaved, 1 warm-up + ${opts.playbookRounds} rounds`);
  const samples = await interleave(jobs, opts.playbookRounds, 1, (round, total) => log(`  round ${round + 1}/${total}`));
  const noop = stat(samples, 'noop')!;
  const py = stat(samples, 'python');
  const perTask = (ms: number) => Math.round(((ms - noop.median) / PLAY_TASKS) * 100) / 100;
  const rows: PlaybookRow[] = variants
    .filter((v) => v.id !== 'noop' && v.id !== 'python')
    .map((v) => {
      const s = stat(samples, v.id)!;
      const overNoop = pairedRatio(samples, v.id, 'noop')!;
      const pythonOver = py && v.id.endsWith(':session') ? pairedRatio(samples, 'python', v.id) : undefined;
      return {
        id: v.id,
        playbook: s,
        overNoop,
        perTaskOverNoopMs: perTask(s.median),
        pythonOver,
        verdicts: {
          overNoop: verdict(overNoop <= PLAYBOOK_TARGET),
          pythonOver: pythonOver === undefined ? 'SKIP' : verdict(pythonOver >= PYTHON_TARGET),
        },
      };
    });
  // What the FQCN saves per task over the short name: the median of the rounds' differences (both ran
  // back to back in every round, so each difference met one load).
  const short = samples.get('ours:session')?.ms ?? [];
  const fqcn = samples.get(FQCN_ID)?.ms ?? [];
  const fqcnSavesMsPerTask = fqcn.length === short.length && fqcn.length > 0 ? Math.round((median(short.map((ms, i) => ms - fqcn[i]!)) / PLAY_TASKS) * 100) / 100 : undefined;
  return { tasks: PLAY_TASKS, rounds: opts.playbookRounds, noop, python: py, pythonPerTaskOverNoopMs: py ? perTask(py.median) : undefined, rows, fqcnSavesMsPerTask };
}
