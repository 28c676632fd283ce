/**
 * Helpers for tests that drive the real Ansible CLI (ansible-playbook, ansible-doc, ansible-galaxy)
 * against the built module: every run uses playbooks/ansible.cfg (so `consul_session` is ours, from
 * dist/), a clean environment (no CONSUL_* or ANSIBLE_* of the caller) and, unless told otherwise, a
 * JSON stdout callback (JSON_CALLBACK) so results can be asserted on.
 *
 * Every Ansible CLI comes from the ansible-core under test (ansibleTool: TEST_ANSIBLE_BIN, else PATH),
 * and plays run the module with the Node.js under test when the matrix chose one (TEST_MODULE_NODE).
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ansibleTool, moduleNode, moduleNodeChosen } from './toolchain';

export const REPO_ROOT = resolve(__dirname, '../..');
export const PLAYBOOKS_DIR = resolve(REPO_ROOT, 'playbooks');
export const DIST_DIR = resolve(REPO_ROOT, 'dist');

/** The first of `tools` that is neither in the ansible-core under test nor on PATH, if any. */
export function missingTool(tools: string[]): string | undefined {
  return tools.find((tool) => ansibleTool(tool) === tool && spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
}

/**
 * For mocha `before` hooks (a `function`, not an arrow): skips the suite with a clear message when an
 * Ansible tool is missing — except when CI === 'true', where it throws (a skip in CI is a failure).
 */
export function ansibleOrSkip(ctx: Mocha.Context, tools: string[] = ['ansible-playbook']): void {
  const missing = missingTool(tools);
  if (missing === undefined) return;
  const debianPackage = missing === 'ansible-lint' ? 'ansible-lint' : 'ansible-core';
  const how = `${missing} is not on PATH; install ${debianPackage} (Debian: apt-get install ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(`${how} — it is required in CI (CI=true)`);
  console.warn(`[ansible] skipping: ${how}.`);
  ctx.skip();
}

/** One host's result of one task, as the json callback reports it. */
export type HostResult = Record<string, unknown> & { changed?: boolean; failed?: boolean; msg?: string };

export interface JsonReport {
  plays: Array<{
    play: { name: string };
    tasks: Array<{ task: { name: string }; hosts: Record<string, HostResult> }>;
  }>;
  stats: Record<string, { changed: number; failures: number; ok: number; ignored: number; skipped: number; unreachable: number }>;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PlaybookRun extends CliRun {
  /** The parsed json callback output (undefined when the run did not use it). */
  report: JsonReport | undefined;
}

/** The environment every Ansible run gets: the caller's, minus CONSUL_* and ANSIBLE_*, plus `extra`. */
export function ansibleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CONSUL_') && !key.startsWith('ANSIBLE_')) env[key] = value;
  }
  return {
    ...env,
    ANSIBLE_CONFIG: resolve(PLAYBOOKS_DIR, 'ansible.cfg'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    ...extra,
  };
}

/**
 * Runs a command to completion (killed after `timeoutMs`), collecting its output. An Ansible CLI given by
 * its bare name (`ansible-playbook`) is the one of the ansible-core under test.
 */
export function runCli(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(ansibleTool(command), args, {
      cwd: options.cwd ?? PLAYBOOKS_DIR,
      env: options.env ?? ansibleEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

export interface PlaybookOptions {
  /** CONSUL_HTTP_ADDR for the plays (and the module's fallback). */
  consulAddr?: string;
  /** More command-line arguments: --check, --diff, -e k=v, -i inventory ... */
  args?: string[];
  /** More environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Use the JSON stdout callback (default true). Verbose flags (-v) break its JSON, so turn it off for them. */
  json?: boolean;
  timeoutMs?: number;
}

/**
 * The stdout callback the tests assert on: test/playbook/callback_plugins/json_report.py, the run as JSON
 * in the shape of ansible.posix's `json` callback (which plain ansible-core does not ship).
 */
export const JSON_CALLBACK = {
  ANSIBLE_CALLBACK_PLUGINS: resolve(REPO_ROOT, 'test/playbook/callback_plugins'),
  ANSIBLE_STDOUT_CALLBACK: 'json_report',
};

/**
 * The json callback prints one report per playbook file, each cumulative (all plays so far, stats so
 * far), pretty-printed so that only a document's own braces sit at the start of a line: the last one
 * is the whole run.
 */
export function lastJsonDocument(stdout: string): JsonReport {
  const start = stdout.lastIndexOf('\n{\n');
  return JSON.parse(stdout.slice(start < 0 ? 0 : start + 1)) as JsonReport;
}

/** Runs ansible-playbook from playbooks/ on the given playbook files (relative to playbooks/ or absolute). */
export async function runPlaybook(playbooks: string[], options: PlaybookOptions = {}): Promise<PlaybookRun> {
  const json = options.json ?? true;
  const env = ansibleEnv({
    ...(json ? JSON_CALLBACK : {}),
    ...(options.consulAddr ? { CONSUL_HTTP_ADDR: options.consulAddr } : {}),
    ...options.env,
  });
  // First, so that a test's own -e ansible_node_interpreter=… (given later) still wins.
  const node = moduleNodeChosen() ? ['-e', `ansible_node_interpreter=${moduleNode()}`] : [];
  const run = await runCli('ansible-playbook', [...node, ...(options.args ?? []), ...playbooks], { env, timeoutMs: options.timeoutMs });
  let report: JsonReport | undefined;
  if (json) {
    try {
      report = lastJsonDocument(run.stdout);
    } catch {
      throw new Error(`ansible-playbook ${playbooks.join(' ')} printed no JSON report (exit ${String(run.code)}):\n${run.stdout}\n${run.stderr}`);
    }
  }
  return { ...run, report };
}

/** Like runPlaybook, but fails with Ansible's own output unless the run succeeded (exit 0). */
export async function playbookOk(playbooks: string[], options: PlaybookOptions = {}): Promise<JsonReport> {
  const run = await runPlaybook(playbooks, options);
  if (run.code !== 0 || !run.report) {
    throw new Error(`ansible-playbook ${playbooks.join(' ')} exited ${String(run.code)}:\n${run.stdout.slice(-6000)}\n${run.stderr}`);
  }
  return run.report;
}

export interface TaskRow {
  play: string;
  task: string;
  host: string;
  result: HostResult;
}

/** Every (task, host) result of a report, in order. */
export function taskRows(report: JsonReport): TaskRow[] {
  return report.plays.flatMap((play) =>
    play.tasks.flatMap((task) =>
      Object.entries(task.hosts).map(([host, result]) => ({ play: play.play.name, task: task.task.name, host, result })),
    ),
  );
}

/** The per-host results of the one task named `name` (throws when there is none or several). */
export function taskResults(report: JsonReport, name: string): Record<string, HostResult> {
  const tasks = report.plays.flatMap((play) => play.tasks).filter((task) => task.task.name === name);
  if (tasks.length !== 1) {
    const names = report.plays.flatMap((play) => play.tasks.map((task) => task.task.name));
    throw new Error(`expected one task named ${JSON.stringify(name)}, found ${tasks.length}; tasks: ${JSON.stringify(names)}`);
  }
  return tasks[0]!.hosts;
}

/** The single host's result of task `name`, for plays on one host. */
export function onlyResult(report: JsonReport, name: string): HostResult {
  const hosts = Object.values(taskResults(report, name));
  if (hosts.length !== 1) throw new Error(`task ${JSON.stringify(name)} ran on ${hosts.length} hosts, expected 1`);
  return hosts[0]!;
}

/** "task name @ host" → changed, for comparing runs. */
export function changedMap(report: JsonReport): Record<string, boolean> {
  return Object.fromEntries(taskRows(report).map((row) => [`${row.task} @ ${row.host}`, row.result.changed === true]));
}

/** True when the task ran our module (dist/consul_session.js), not another module of the same name. */
export function ranOurModule(result: HostResult): boolean {
  const invocation = result.invocation as { module_args?: Record<string, unknown> } | undefined;
  // Only our module reports service_checks among its arguments (community.general's has no such option).
  return invocation?.module_args !== undefined && 'service_checks' in invocation.module_args;
}
