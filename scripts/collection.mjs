#!/usr/bin/env node
// `npm run collection`: builds the Ansible collection tarball consul_ts-consul-<version>.tar.gz.
//
//   node scripts/collection.mjs              writes it to build/ (git-ignored)
//   node scripts/collection.mjs --out DIR    writes it to DIR
//
// The collection is assembled in a temporary folder — galaxy.yml (version from package.json), a short
// README.md, meta/runtime.yml and plugins/modules/consul_session.{js,yml} (the built module and its
// ansible-doc sidecar, from dist/; built first when missing) — then `ansible-galaxy collection build`
// packs it. Prints the tarball's path on stdout.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

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

const moduleJs = join(root, 'dist/consul_session.js');
const moduleDoc = join(root, 'dist/consul_session.yml');
if (!existsSync(moduleJs) || !existsSync(moduleDoc)) {
  const build = spawnSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) die('node build.mjs failed');
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const galaxy = parseYaml(readFileSync(join(root, 'galaxy.yml'), 'utf8'));
galaxy.version = pkg.version;
const fqcn = `${galaxy.namespace}.${galaxy.name}.consul_session`;

const stage = mkdtempSync(join(tmpdir(), 'consul-collection-'));
try {
  writeFileSync(join(stage, 'galaxy.yml'), stringifyYaml(galaxy));
  writeFileSync(
    join(stage, 'README.md'),
    [
      `# ${galaxy.namespace}.${galaxy.name}`,
      '',
      `\`${fqcn}\` creates, destroys and inspects Consul sessions, declaratively: \`state: present\` with a`,
      '`name` is idempotent, `absent` reports a change only when it removed something, and check mode and',
      'diff mode work. The module is a Node.js program: the host that runs it needs Node.js >= 18 at',
      '`/usr/bin/node`, or `ansible_node_interpreter=/path/to/node`.',
      '',
      '```yaml',
      '- name: Ensure the deploy lock session exists',
      `  ${fqcn}:`,
      '    name: deploy-lock',
      '    ttl: 30s',
      '```',
      '',
      `\`ansible-doc ${fqcn}\` shows every parameter, the examples and the return values.`,
      '',
    ].join('\n'),
  );
  mkdirSync(join(stage, 'meta'));
  writeFileSync(join(stage, 'meta/runtime.yml'), 'requires_ansible: ">=2.14.0"\n');
  mkdirSync(join(stage, 'plugins/modules'), { recursive: true });
  copyFileSync(moduleJs, join(stage, 'plugins/modules/consul_session.js'));
  chmodSync(join(stage, 'plugins/modules/consul_session.js'), 0o755);
  copyFileSync(moduleDoc, join(stage, 'plugins/modules/consul_session.yml'));

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
