/**
 * The bench's environment: Python and GNU time paths, the progress log, the clean
 * environment every measured command gets, and the probes for what is installed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/support/ansible';

export const PYTHON = '/usr/bin/python3';
export const PY_MODULE = 'ansible_collections.community.general.plugins.modules.consul_session';
export const GNU_TIME = '/usr/bin/time';

export const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/**
 * Variables that change what Node.js itself does at start-up, for the module and the `node -e 0` floor
 * alike, and that a managed host does not normally set. NODE_EXTRA_CA_CERTS made Node 20 parse its
 * certificates at every start (+40 ms on this machine, where it is set), which flattered every ratio.
 */
export const NODE_STARTUP_VARIABLES = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

/** The environment every measured command gets: ours, minus CONSUL_*, ANSIBLE_*, proxies and the above. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('CONSUL_') || key.startsWith('ANSIBLE_') || /_proxy$/i.test(key) || NODE_STARTUP_VARIABLES.includes(key)) continue;
    env[key] = value;
  }
  return env;
}

export function ensureBuilt(module: string): void {
  if (fs.existsSync(module)) return;
  log(`${path.relative(REPO_ROOT, module)} is missing: npm run build`);
  const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (res.status !== 0 || !fs.existsSync(module)) throw new Error('npm run build failed');
}

function pythonWorks(): boolean {
  const res = spawnSync(PYTHON, ['-c', `import consul, ${PY_MODULE}`], { stdio: 'ignore', env: cleanEnv() });
  return res.status === 0;
}

/** undefined when the Python module can run; otherwise why it is skipped. Installs it with apt when root. */
export function pythonProblem(wanted: boolean): string | undefined {
  if (!wanted) return 'skipped (--no-python)';
  if (!fs.existsSync(PYTHON)) return `skipped: ${PYTHON} does not exist`;
  if (pythonWorks()) return undefined;
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')) {
    log('the Python module needs Debian packages ansible and python3-consul: apt-get install -y python3-consul ansible');
    spawnSync('apt-get', ['install', '-y', 'python3-consul', 'ansible'], { stdio: ['ignore', 2, 2] });
    if (pythonWorks()) return undefined;
    return 'skipped: apt-get install -y python3-consul ansible did not make the Python module importable';
  }
  return `skipped: ${PYTHON} cannot import consul and ${PY_MODULE}; install them with \`sudo apt-get install -y python3-consul ansible\``;
}

export function commandOk(cmd: string, args: string[]): boolean {
  const res = spawnSync(cmd, args, { stdio: 'ignore' });
  return res.status === 0;
}

export function firstLine(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${res.stdout ?? ''}${res.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
}
