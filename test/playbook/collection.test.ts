/**
 * `npm run collection` packs the committed collection/ folder into a tarball (the git installs of that
 * folder are collection-git.test.ts); ansible-galaxy installs it into a temporary
 * collections path, and plays call the modules by their fully qualified names, with no library path,
 * and set their connection once through the action group `consul`. The agent's ACLs deny everything
 * without the token, so every play has to deliver it.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, freePort, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { parse as parseYaml } from 'yaml';
import MODULES from '../../src/modules.json';
import { JSON_CALLBACK, REPO_ROOT, ansibleEnv, ansibleOrSkip, lastJsonDocument, onlyResult, ranOurModule, runCli } from '../support/ansible.js';
import { aclConfig } from '../support/acl-agent.js';

const FQCN = 'consul_ts.consul.consul_session';
const LOCK_FQCN = 'consul_ts.consul.consul_lock';
const SEMAPHORE_FQCN = 'consul_ts.consul.consul_semaphore';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the collection (npm run collection, ansible-galaxy collection install, FQCN)', function () {
  this.timeout(180_000);
  let agent: Agent | undefined;
  let dir: string;
  let tarball: string;
  let env: NodeJS.ProcessEnv;
  const token = randomUUID();

  before(async function () {
    ansibleOrSkip(this, ['ansible-galaxy', 'ansible-playbook', 'ansible-doc']);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-collection-test-'));
    // An empty ansible.cfg: nothing but the installed collection can provide the module.
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n');
    env = ansibleEnv({ ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH: join(dir, 'collections') });
    agent = await startDevAgent({
      nodeName: 'collection-node',
      configJson: aclConfig(token),
    });
  });

  after(async function () {
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm run collection builds a tarball holding every module, their docs and the action group', async function () {
    const build = await runCli(process.execPath, [join(REPO_ROOT, 'scripts/collection.mjs'), '--out', join(dir, 'out')], { cwd: REPO_ROOT, env });
    expect(build.code, build.stderr).to.equal(0);
    tarball = build.stdout.trim();
    expect(tarball).to.equal(join(dir, 'out', `consul_ts-consul-${VERSION}.tar.gz`));
    const listing = await runCli('tar', ['tvzf', tarball], { cwd: dir });
    for (const module of MODULES) {
      expect(listing.stdout).to.match(new RegExp(`^-rwxr-xr-x .* plugins/modules/${module}\\.js$`, 'm'));
      expect(listing.stdout).to.match(new RegExp(` plugins/modules/${module}\\.yml$`, 'm'));
    }
    expect(listing.stdout).to.match(/ MANIFEST\.json$/m);
    // Exactly the files of collection/ (galaxy.yml becomes ansible-galaxy's MANIFEST.json, which adds FILES.json).
    const packed = listing.stdout.split('\n').filter((line) => line.startsWith('-')).map((line) => line.split(' ').pop()!);
    const folder = (await runCli('find', ['.', '-type', 'f', '-printf', '%P\n'], { cwd: join(REPO_ROOT, 'collection') })).stdout.trim().split('\n');
    expect(packed.sort()).to.deep.equal([...folder.filter((file) => file !== 'galaxy.yml'), 'FILES.json', 'MANIFEST.json'].sort());
    const runtime = await runCli('tar', ['xzOf', tarball, 'meta/runtime.yml'], { cwd: dir });
    expect(parseYaml(runtime.stdout)).to.deep.equal({ requires_ansible: '>=2.14.0', action_groups: { consul: MODULES } });
    const readme = await runCli('tar', ['xzOf', tarball, 'README.md'], { cwd: dir });
    expect(readme.stdout).to.contain(FQCN).and.contain(LOCK_FQCN).and.contain(SEMAPHORE_FQCN).and.contain('group/consul_ts.consul.consul');
  });

  it('ansible-galaxy installs it; ansible-doc shows the docs of every module by their fully qualified names', async function () {
    if (!tarball) this.skip();
    const install = await runCli('ansible-galaxy', ['collection', 'install', '-p', join(dir, 'collections'), tarball], { cwd: dir, env });
    expect(install.code, install.stdout + install.stderr).to.equal(0);
    const doc = await runCli('ansible-doc', ['--json', FQCN], { cwd: dir, env });
    expect(doc.code, doc.stderr).to.equal(0);
    const parsed = JSON.parse(doc.stdout) as Record<string, { doc: { short_description: string; options: object } }>;
    expect(parsed[FQCN]?.doc.short_description).to.equal('Manage Consul sessions, declaratively');
    expect(parsed[FQCN]?.doc.options).to.include.keys('name', 'ttl', 'delay', 'token');
    const lockDoc = await runCli('ansible-doc', ['--json', LOCK_FQCN], { cwd: dir, env });
    expect(lockDoc.code, lockDoc.stderr).to.equal(0);
    const lock = (JSON.parse(lockDoc.stdout) as typeof parsed)[LOCK_FQCN]?.doc;
    expect(lock?.short_description).to.equal('Acquire, wait for and release Consul locks held by a session');
    // The shared connection fragment reached this module's docs too.
    expect(lock?.options).to.include.keys('key', 'session', 'wait', 'host', 'port', 'token');
    const semaphoreDoc = await runCli('ansible-doc', ['--json', SEMAPHORE_FQCN], { cwd: dir, env });
    expect(semaphoreDoc.code, semaphoreDoc.stderr).to.equal(0);
    const semaphore = (JSON.parse(semaphoreDoc.stdout) as typeof parsed)[SEMAPHORE_FQCN]?.doc;
    expect(semaphore?.options).to.include.keys('prefix', 'limit', 'session', 'wait', 'fail_if_not_acquired', 'host', 'token');
  });

  it('a play calls the installed module by its fully qualified name', async function () {
    if (!agent) throw new Error('no agent');
    const run = await runCli('ansible-playbook', ['-i', 'localhost,', resolve(__dirname, 'plays/fqcn.yml')], {
      cwd: dir,
      env: { ...env, ...JSON_CALLBACK, CONSUL_HTTP_ADDR: agent.httpAddr, CONSUL_HTTP_TOKEN: token },
    });
    expect(run.code, run.stdout.slice(-3000) + run.stderr).to.equal(0);
    const report = lastJsonDocument(run.stdout);
    const created = onlyResult(report, 'Ensure a session through the collection');
    expect(ranOurModule(created)).to.equal(true);
    expect(created).to.include({ changed: true, action: FQCN, delay: 20 });
    expect(onlyResult(report, 'Ensure it again')).to.include({ changed: false, session_id: created.session_id });
    const listed = onlyResult(report, 'List every session through the collection').sessions as Array<{ ID: string }>;
    expect(listed.map((s) => s.ID)).to.deep.equal([created.session_id]);
    expect(onlyResult(report, 'Remove it through the collection')).to.include({ changed: true });
    expect((await consulHttp(agent, 'GET', '/v1/session/list')).body).to.deep.equal([]);
  });

  it('module_defaults for group/consul_ts.consul.consul sets host, port and token once, for every module', async function () {
    if (!agent) throw new Error('no agent');
    // Where the modules would go without the group's defaults: a port nobody listens on.
    const closed = await freePort();
    const run = await runCli('ansible-playbook', ['-i', 'localhost,', '-e', `consul_port=${agent.httpPort}`, resolve(__dirname, 'plays/group_defaults.yml')], {
      cwd: dir,
      env: { ...env, ...JSON_CALLBACK, CONSUL_HTTP_ADDR: `127.0.0.1:${closed}`, TEST_SECRET_TOKEN: token },
    });
    expect(run.code, run.stdout.slice(-3000) + run.stderr).to.equal(0);
    const report = lastJsonDocument(run.stdout);

    const session = onlyResult(report, "Ensure a session through the group's connection");
    expect(session).to.include({ changed: true, action: FQCN });
    const id = String(session.session_id);
    expect(id).to.match(UUID);
    const taken = onlyResult(report, "Take a lock through the group's connection");
    expect(taken).to.include({ changed: true, action: LOCK_FQCN, holder: id, acquired: true, value: 'set once for both modules' });
    expect(onlyResult(report, "See who holds it through the group's connection")).to.include({ holder: id, holder_name: 'group-defaults' });
    const slot = onlyResult(report, "Take a semaphore slot through the group's connection");
    for (const result of [session, taken, slot]) {
      const args = (result.invocation as { module_args: Record<string, unknown> }).module_args;
      expect(args, String(result.action)).to.include({ host: '127.0.0.1', port: agent.httpPort, token: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' });
    }
    // The agent really checks the token: the task that brings its own, wrong one is refused.
    const wrongToken = onlyResult(report, "A task's own token wins over the group's, and a wrong one is refused");
    expect(wrongToken.failed).to.equal(true);
    expect(String(wrongToken.msg)).to.match(/permission denied|ACL not found/i);
    expect(onlyResult(report, "Release the lock through the group's connection")).to.include({ changed: true, holder: null, acquired: false });
    expect(slot).to.deep.include({ changed: true, action: SEMAPHORE_FQCN, acquired: true, holders: [id], limit: 2 });
    expect(onlyResult(report, "Give the slot back through the group's connection")).to.deep.include({ changed: true, acquired: false, holders: [] });
    expect(onlyResult(report, "Remove the session through the group's connection")).to.include({ changed: true }).and.have.property('removed').that.deep.equals([id]);

    expect((await consulHttp(agent, 'GET', '/v1/session/list')).body).to.deep.equal([]);
    const key = (await consulHttp(agent, 'GET', '/v1/kv/group/lock')).body as Array<{ Session?: string; LockIndex: number }>;
    expect(key[0]).to.include({ LockIndex: 1 }).and.not.have.property('Session');
  });
});
