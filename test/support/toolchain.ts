/**
 * Which Node.js runs the built module and which ansible-core runs the plays, for the version matrix
 * (test/matrix/). Two environment variables choose them, so a single file can also be run by hand
 * under another version (`TEST_MODULE_NODE=$(scripts/fetch-node.sh 18) npx mocha test/integration/x.test.ts`):
 *
 *   TEST_MODULE_NODE   the node binary that runs the module (runModule, and runPlaybook through
 *                      ansible_node_interpreter); unset: the node running mocha, and /usr/bin/node for plays
 *   TEST_ANSIBLE_BIN   the folder holding ansible-playbook, ansible-doc, ansible-galaxy …; unset: PATH
 *
 * mocha itself always stays on the machine's node (mocha 12 and eslint 10 need Node.js >= 20.19).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../..');

/** The node binary that runs the built module in this test process. */
export function moduleNode(): string {
  return process.env.TEST_MODULE_NODE || process.execPath;
}

/** True when the matrix (or the caller) chose a node other than mocha's own for the module. */
export function moduleNodeChosen(): boolean {
  return Boolean(process.env.TEST_MODULE_NODE);
}

/**
 * The command to start an Ansible CLI (`ansible-playbook` …) of the ansible-core under test. Tools that
 * ansible-core does not ship (ansible-lint) stay the system's.
 */
export function ansibleTool(name: string): string {
  const dir = process.env.TEST_ANSIBLE_BIN;
  return dir && name.startsWith('ansible') && !name.includes('/') && existsSync(join(dir, name)) ? join(dir, name) : name;
}

const fetched = new Map<string, { path: string } | { error: Error }>();

/**
 * Runs scripts/SCRIPT ARG (fetch-node.sh, fetch-ansible.sh) once per process and returns the absolute
 * path it prints last; throws with the script's log when it fails.
 */
function fetchOnce(script: string, arg: string): string {
  const key = `${script} ${arg}`;
  let entry = fetched.get(key);
  if (entry === undefined) {
    const run = spawnSync('bash', [join(REPO_ROOT, 'scripts', script), arg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out = (run.stdout ?? '').trim().split('\n').pop() ?? '';
    if (run.status === 0 && out.startsWith('/')) {
      entry = { path: out };
      // What was fetched or reused, and its verified version, belongs in the test log.
      if (run.stderr) process.stderr.write(run.stderr);
    } else entry = { error: new Error(`scripts/${key} failed (exit ${String(run.status ?? run.signal)}):\n${run.stderr ?? String(run.error)}`) };
    fetched.set(key, entry);
  }
  if ('error' in entry) throw entry.error;
  return entry.path;
}

/** The node binary of a Node.js major (the machine's when it matches, else .cache/node/MAJOR). */
export function nodeOfMajor(major: number): string {
  return fetchOnce('fetch-node.sh', String(major));
}

/** The folder of ansible-core VERSION's CLIs (the system's when it matches, else .cache/ansible-VERSION/bin). */
export function ansibleCoreBin(version: string): string {
  return fetchOnce('fetch-ansible.sh', version);
}

/**
 * For mocha `before` hooks (a `function`, not an arrow): returns `get()`, or skips the suite with the
 * reason when it throws — except when CI === 'true', where it throws (a skip in CI is a failure).
 */
export function availableOrSkip<T>(ctx: Mocha.Context, what: string, get: () => T): T {
  try {
    return get();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (process.env.CI === 'true') throw new Error(`${what} is required in CI (CI=true) but is unavailable: ${reason}`, { cause: err });
    console.warn(`[matrix] skipping: ${what} is unavailable.\n${reason.replace(/^/gm, '    ')}`);
    ctx.skip();
  }
}

/** What `BIN --version` (or `ansible-playbook --version`) prints first, e.g. `v18.20.8`. */
export function versionOf(command: string): string {
  const run = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} --version failed: ${run.stderr ?? String(run.error)}`);
  return run.stdout.split('\n')[0]!.trim();
}
