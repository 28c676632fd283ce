#!/usr/bin/env node
// `npm run collection`: builds the Ansible collection tarball consul_ts-consul-<version>.tar.gz.
//
//   node scripts/collection.mjs              writes it to build/ (git-ignored)
//   node scripts/collection.mjs --out DIR    writes it to DIR
//
// The collection is assembled in a temporary folder — galaxy.yml (version from package.json), a short
// README.md, meta/runtime.yml and, for every module, plugins/modules/<module>.{js,yml} (the built module
// and its ansible-doc sidecar, from dist/; built first when missing) — then `ansible-galaxy collection
// build` packs it. Prints the tarball's path on stdout.
//
// meta/runtime.yml puts every module into the action group `consul`, so that one
// `module_defaults: {group/<namespace>.<name>.consul: {host: …, token: …}}` sets the connection of all.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { MODULES } from './module-doc.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outIndex = argv.indexOf('--out');
const outDir = resolve(outIndex >= 0 ? argv[outIndex + 1] ?? '' : join(root, 'build'));

function die(message) {
  process.stderr.write(`collection: ${message}\n`);
  process.exit(1);
}

const check = spawnSync('sh', ['-c', 'command -v ansible-galaxy'], { stdio: 'ignore' });
if (check.status !== 0) die('ansible-galaxy is not installed (Debian: apt-get install ansible-core)');

const ACTION_GROUP = 'consul';
const builtFiles = MODULES.flatMap((module) => [`${module}.js`, `${module}.yml`]);
if (!builtFiles.every((file) => existsSync(join(root, 'dist', file)))) {
  const build = spawnSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) die('node build.mjs failed');
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const galaxy = parseYaml(readFileSync(join(root, 'galaxy.yml'), 'utf8'));
galaxy.version = pkg.version;
const prefix = `${galaxy.namespace}.${galaxy.name}`;

/** The collection's own README: what the modules do, the action group, and a lock taken and released. */
function collectionReadme(prefix) {
  return [
    `# ${prefix}`,
    '',
    'Three Ansible modules for coordinating playbook runs, controllers and CI jobs through Consul:',
    '',
    `- \`${prefix}.consul_session\` creates, destroys, renews and inspects Consul sessions, declaratively:`,
    '  `state: present` with a `name` is idempotent, `absent` reports a change only when it removed something.',
    `- \`${prefix}.consul_lock\` acquires, waits for and releases a Consul lock (a KV key held by a session):`,
    '  it waits with blocking queries, rides through the lock-delay and never releases another session\'s lock.',
    `- \`${prefix}.consul_semaphore\` lets at most N sessions in at once, with the semaphore of \`consul lock -n N\`,`,
    '  so plays and the CLI share one; it waits for a slot and never gives back another session\'s.',
    '',
    'All support check mode and diff mode. They are Node.js programs: the host that runs them needs',
    'Node.js >= 18 at `/usr/bin/node`, or `ansible_node_interpreter=/path/to/node`.',
    '',
    `All belong to the action group \`${ACTION_GROUP}\`: set the connection once for all with`,
    `\`module_defaults\` and \`group/${prefix}.${ACTION_GROUP}\`.`,
    '',
    '```yaml',
    '- name: Deploy, one run at a time',
    '  hosts: localhost',
    '  module_defaults:',
    `    group/${prefix}.${ACTION_GROUP}:`,
    '      host: consul.example.com',
    '      token: "{{ consul_token }}"',
    '  tasks:',
    '    - name: Ensure the deploy session exists',
    `      ${prefix}.consul_session:`,
    '        name: deploy',
    '        ttl: 60s',
    '      register: deploy_session',
    '',
    '    - name: Take the deploy lock, waiting up to 10 minutes for another run',
    `      ${prefix}.consul_lock:`,
    '        key: locks/deploy',
    '        session: "{{ deploy_session.session_id }}"',
    '        wait: 10m',
    '```',
    '',
    `\`ansible-doc ${prefix}.consul_semaphore\` (or \`consul_session\`, \`consul_lock\`) shows every parameter, the examples and the return values.`,
    '',
  ].join('\n');
}

const stage = mkdtempSync(join(tmpdir(), 'consul-collection-'));
try {
  writeFileSync(join(stage, 'galaxy.yml'), stringifyYaml(galaxy));
  writeFileSync(join(stage, 'README.md'), collectionReadme(prefix));
  mkdirSync(join(stage, 'meta'));
  // Short names in an action group are resolved inside this collection.
  const runtime = { requires_ansible: '>=2.14.0', action_groups: { [ACTION_GROUP]: MODULES } };
  writeFileSync(join(stage, 'meta/runtime.yml'), stringifyYaml(runtime));
  mkdirSync(join(stage, 'plugins/modules'), { recursive: true });
  for (const module of MODULES) {
    const js = join(stage, `plugins/modules/${module}.js`);
    copyFileSync(join(root, `dist/${module}.js`), js);
    chmodSync(js, 0o755);
    copyFileSync(join(root, `dist/${module}.yml`), join(stage, `plugins/modules/${module}.yml`));
  }

  // The collection's own source files (src/collection/): tests/sanity/ignore-<ansible-core>.txt, the
  // ignores `ansible-test sanity` needs for Node.js modules (scripts/sanity.mjs runs it on this tarball).
  const collectionTests = join(root, 'src/collection/tests');
  if (existsSync(collectionTests)) cpSync(collectionTests, join(stage, 'tests'), { recursive: true });

  mkdirSync(outDir, { recursive: true });
  const build = spawnSync('ansible-galaxy', ['collection', 'build', '--force', '--output-path', outDir, stage], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
  });
  if (build.status !== 0) die(`ansible-galaxy collection build failed:\n${build.stdout}${build.stderr}`);
  const tarball = join(outDir, `${galaxy.namespace}-${galaxy.name}-${galaxy.version}.tar.gz`);
  if (!existsSync(tarball)) die(`ansible-galaxy did not write ${tarball}:\n${build.stdout}${build.stderr}`);
  process.stdout.write(`${tarball}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
