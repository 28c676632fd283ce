/**
 * `npm run demo`: run playbooks/demo.yml — a Consul lock taken and released with consul_session and
 * consul_lock — against a throw-away dev agent (or the agent in $CONSUL_HTTP_ADDR, when set).
 *
 *   1. ansible-playbook: installs ansible-core with apt when it is missing and we are root on Debian;
 *      otherwise says how to install it and stops.
 *   2. builds dist/ when it is missing or older than its sources (node build.mjs).
 *   3. starts a dev agent on free ports unless CONSUL_HTTP_ADDR is set.
 *   4. runs `ansible-playbook demo.yml` in playbooks/ (extra arguments are passed on: npm run demo -- -v).
 *   5. stops the agent; exits with ansible-playbook's exit code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDevAgent } from '../test/support/consul.js';
import type { Agent } from '../test/support/consul.js';
import MODULES from '../src/modules.json';

const root = resolve(__dirname, '..');

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function ensureAnsible(): void {
  if (onPath('ansible-playbook')) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/etc/debian_version') && onPath('apt-get')) {
    say('ansible-playbook is missing; installing ansible-core with apt-get');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install =
      update.status === 0 &&
      spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ansible-core'], { stdio: 'inherit', env }).status === 0;
    if (install && onPath('ansible-playbook')) return;
    say('installing ansible-core with apt-get failed (see above)');
    process.exit(1);
  }
  say('ansible-playbook is not installed. Install ansible-core, then run `npm run demo` again:');
  say('  Debian/Ubuntu:  sudo apt-get install ansible-core');
  say('  elsewhere:      pipx install ansible-core   (or: python3 -m pip install --user ansible-core)');
  process.exit(1);
}

/** Newest modification time of the build's inputs (src/ without the generated folders, build.mjs, scripts/*.mjs). */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'generated') visit(join(path, entry));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  visit(join(root, 'src'));
  visit(join(root, 'build.mjs'));
  for (const entry of readdirSync(join(root, 'scripts'))) if (entry.endsWith('.mjs')) visit(join(root, 'scripts', entry));
  return newest;
}

function ensureBuilt(): void {
  const built = MODULES.flatMap((m) => [`dist/${m}.js`, `dist/${m}.yml`]).map((f) => join(root, f));
  const oldest = Math.min(...built.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  if (oldest >= newestSource()) return;
  say('building dist/ (node build.mjs)');
  const build = spawnSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

async function main(): Promise<number> {
  ensureAnsible();
  ensureBuilt();
  let agent: Agent | undefined;
  let addr = process.env.CONSUL_HTTP_ADDR;
  if (addr) say(`using the Consul agent at CONSUL_HTTP_ADDR=${addr}`);
  else {
    agent = await startDevAgent({ nodeName: 'consul-demo' });
    addr = agent.httpAddr;
    say(`started a Consul dev agent at ${addr} (node ${agent.nodeName}, log ${agent.logFile})`);
  }
  try {
    const run = spawnSync('ansible-playbook', ['demo.yml', ...process.argv.slice(2)], {
      cwd: join(root, 'playbooks'),
      stdio: 'inherit',
      env: { ...process.env, CONSUL_HTTP_ADDR: addr, ANSIBLE_CONFIG: join(root, 'playbooks/ansible.cfg') },
    });
    if (run.error) throw run.error;
    return run.status ?? 1;
  } finally {
    if (agent) {
      await agent.stop();
      say('stopped the dev agent');
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
