/**
 * The collection installed the way most teams take a collection that is not on Galaxy: from git, with the
 * folder named in the URL (`git+<url>#/collection[,<ref>]`) or in a requirements.yml entry of
 * `type: git` with a `version:`. The repository is a git snapshot of the working tree
 * (test/support/git-snapshot.ts). Every route must give the same files as the tarball of `npm run
 * collection` (same names, same checksums), ansible-doc by FQCN for every module, and plays that run the
 * modules by FQCN with module_defaults for the action group against an agent that denies everything
 * without the token.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, freePort, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import MODULES from '../../src/modules.json';
import { BRANCH_MARKER, gitSnapshot } from '../support/git-snapshot.js';
import type { GitSnapshot } from '../support/git-snapshot.js';
import { JSON_CALLBACK, REPO_ROOT, ansibleEnv, ansibleOrSkip, lastJsonDocument, onlyResult, runCli } from '../support/ansible.js';
import { aclConfig } from '../support/acl-agent.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const INSTALLED = 'ansible_collections/consul_ts/consul';

interface FilesJson {
  files: Array<{ name: string; ftype: string; chksum_sha256: string | null }>;
}
/** The files of an installed collection with their checksums, as its FILES.json lists them. */
function checksums(collectionsPath: string): string[] {
  const files = (JSON.parse(readFileSync(join(collectionsPath, INSTALLED, 'FILES.json'), 'utf8')) as FilesJson).files;
  return files.filter((file) => file.ftype === 'file').map((file) => `${file.name} ${String(file.chksum_sha256)}`).sort();
}

describe('the collection installed from git (git+file://…#/collection, requirements.yml type: git)', function () {
  this.timeout(180_000);
  let agent: Agent | undefined;
  let dir: string;
  let snapshot: GitSnapshot;
  let tarballFiles: string[];
  const token = randomUUID();
  const env = () => ansibleEnv({ ANSIBLE_CONFIG: join(dir, 'ansible.cfg') });

  before(async function () {
    ansibleOrSkip(this, ['ansible-galaxy', 'ansible-playbook', 'ansible-doc']);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-collection-git-'));
    // An empty ansible.cfg: nothing but the collection installed by each test can provide the modules.
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n');
    snapshot = gitSnapshot(join(dir, 'repo'), VERSION);
    // The reference: the tarball of npm run collection, installed.
    const pack = await runCli(process.execPath, [join(REPO_ROOT, 'scripts/collection.mjs'), '--out', dir], { cwd: REPO_ROOT, env: env() });
    expect(pack.code, pack.stderr).to.equal(0);
    const install = await runCli('ansible-galaxy', ['collection', 'install', '-p', join(dir, 'from-tarball'), pack.stdout.trim()], { cwd: dir, env: env() });
    expect(install.code, install.stdout + install.stderr).to.equal(0);
    tarballFiles = checksums(join(dir, 'from-tarball'));
    agent = await startDevAgent({
      nodeName: 'collection-git-node',
      configJson: aclConfig(token),
    });
  });

  after(async function () {
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = (ref?: string) => `git+file://${snapshot.repo}/.git#/collection${ref ? `,${ref}` : ''}`;
  /** requirements.yml with one entry of type git, in the form users write for a hosted repository. */
  function requirements(version: string): string {
    const file = join(dir, `requirements-${version}.yml`);
    const entry = { name: `file://${snapshot.repo}/.git#/collection`, type: 'git', version };
    writeFileSync(file, `collections:\n  - name: ${entry.name}\n    type: ${entry.type}\n    version: ${entry.version}\n`);
    return file;
  }

  const routes: Array<{ title: string; args: () => string[]; onBranch: boolean }> = [
    { title: 'git+file://…#/collection (no ref: the default branch)', args: () => [url()], onBranch: false },
    { title: 'git+file://…#/collection,<tag>', args: () => [url(snapshot.tag)], onBranch: false },
    { title: 'requirements.yml, type: git, version: <branch>', args: () => ['-r', requirements(snapshot.branch)], onBranch: true },
    { title: 'requirements.yml, type: git, version: <tag>', args: () => ['-r', requirements(snapshot.tag)], onBranch: false },
  ];

  routes.forEach((route, index) => {
    it(`${route.title}: the ref's collection, the tarball's files and nothing else, ansible-doc by FQCN`, async function () {
      const path = join(dir, `route-${index}`);
      mkdirSync(path);
      const install = await runCli('ansible-galaxy', ['collection', 'install', '-p', path, ...route.args()], { cwd: dir, env: env() });
      expect(install.code, install.stdout + install.stderr).to.equal(0);
      expect(install.stdout).to.contain(`consul_ts.consul:${VERSION} was installed successfully`);
      const installed = join(path, INSTALLED);
      // None of the development tree: only what collection/ holds.
      expect(readdirSync(installed).sort()).to.deep.equal(['CHANGELOG.md', 'FILES.json', 'MANIFEST.json', 'README.md', 'meta', 'plugins', 'tests']);
      const readme = readFileSync(join(installed, 'README.md'), 'utf8');
      expect(readme.includes(BRANCH_MARKER), 'README.md has the branch-only line').to.equal(route.onBranch);
      // The tag's or default branch's install IS the tarball, file for file; the branch's differs in README.md only.
      const differing = checksums(path).filter((line) => !tarballFiles.includes(line)).map((line) => line.split(' ')[0]);
      expect(differing).to.deep.equal(route.onBranch ? ['README.md'] : []);

      const fqcns = MODULES.map((module) => `consul_ts.consul.${module}`);
      const doc = await runCli('ansible-doc', ['--json', ...fqcns], { cwd: dir, env: ansibleEnv({ ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH: path }) });
      expect(doc.code, doc.stderr).to.equal(0);
      const docs = JSON.parse(doc.stdout) as Record<string, { doc: { module: string; options: object } }>;
      for (const fqcn of fqcns) expect(docs[fqcn]?.doc.options, fqcn).to.include.keys('host', 'port', 'token');
    });
  });

  it('a play runs all three modules by FQCN from the requirements.yml install, its connection set once by module_defaults for group/consul_ts.consul.consul', async function () {
    if (!agent) throw new Error('no agent');
    const path = join(dir, `route-${routes.length - 1}`);
    if (!existsSync(join(path, INSTALLED))) this.skip();
    // Where the modules would go without the group's defaults: a port nobody listens on.
    const closed = await freePort();
    const run = await runCli('ansible-playbook', ['-i', 'localhost,', '-e', `consul_port=${agent.httpPort}`, resolve(__dirname, 'plays/group_defaults.yml')], {
      cwd: dir,
      env: ansibleEnv({
        ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
        ANSIBLE_COLLECTIONS_PATH: path,
        ...JSON_CALLBACK,
        CONSUL_HTTP_ADDR: `127.0.0.1:${closed}`,
        TEST_SECRET_TOKEN: token,
      }),
    });
    expect(run.code, run.stdout.slice(-3000) + run.stderr).to.equal(0);
    const report = lastJsonDocument(run.stdout);
    const session = onlyResult(report, "Ensure a session through the group's connection");
    const lock = onlyResult(report, "Take a lock through the group's connection");
    const slot = onlyResult(report, "Take a semaphore slot through the group's connection");
    expect(session).to.include({ changed: true, action: 'consul_ts.consul.consul_session' });
    expect(lock).to.include({ changed: true, action: 'consul_ts.consul.consul_lock', holder: session.session_id });
    expect(slot).to.deep.include({ changed: true, action: 'consul_ts.consul.consul_semaphore', acquired: true, holders: [session.session_id] });
    expect(onlyResult(report, "Remove the session through the group's connection")).to.include({ changed: true });
    expect((await consulHttp(agent, 'GET', '/v1/session/list')).body).to.deep.equal([]);
  });
});
