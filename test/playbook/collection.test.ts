/**
 * `npm run collection` builds a collection tarball; ansible-galaxy installs it into a temporary
 * collections path, and a play calls the module by its fully qualified name, with no library path.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { JSON_CALLBACK, REPO_ROOT, ansibleEnv, ansibleOrSkip, lastJsonDocument, onlyResult, ranOurModule, runCli } from '../support/ansible.js';

const FQCN = 'consul_ts.consul.consul_session';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the collection (npm run collection, ansible-galaxy collection install, FQCN)', function () {
  this.timeout(180_000);
  let agent: Agent | undefined;
  let dir: string;
  let tarball: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    ansibleOrSkip(this, ['ansible-galaxy', 'ansible-playbook', 'ansible-doc']);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-collection-test-'));
    // An empty ansible.cfg: nothing but the installed collection can provide the module.
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n');
    env = ansibleEnv({ ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH: join(dir, 'collections') });
    agent = await startDevAgent({ nodeName: 'collection-node' });
  });

  after(async function () {
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm run collection builds a tarball holding the module and its docs under plugins/modules/', async function () {
    const build = await runCli(process.execPath, [join(REPO_ROOT, 'scripts/collection.mjs'), '--out', join(dir, 'out')], { cwd: REPO_ROOT, env });
    expect(build.code, build.stderr).to.equal(0);
    tarball = build.stdout.trim();
    expect(tarball).to.equal(join(dir, 'out', `consul_ts-consul-${VERSION}.tar.gz`));
    const listing = await runCli('tar', ['tvzf', tarball], { cwd: dir });
    expect(listing.stdout).to.match(/^-rwxr-xr-x .* plugins\/modules\/consul_session\.js$/m);
    expect(listing.stdout).to.match(/ plugins\/modules\/consul_session\.yml$/m).and.match(/ MANIFEST\.json$/m);
  });

  it('ansible-galaxy installs it; ansible-doc shows its docs by the fully qualified name', async function () {
    if (!tarball) this.skip();
    const install = await runCli('ansible-galaxy', ['collection', 'install', '-p', join(dir, 'collections'), tarball], { cwd: dir, env });
    expect(install.code, install.stdout + install.stderr).to.equal(0);
    const doc = await runCli('ansible-doc', ['--json', FQCN], { cwd: dir, env });
    expect(doc.code, doc.stderr).to.equal(0);
    const parsed = JSON.parse(doc.stdout) as Record<string, { doc: { short_description: string; options: object } }>;
    expect(parsed[FQCN]?.doc.short_description).to.equal('Manage Consul sessions, declaratively');
    expect(parsed[FQCN]?.doc.options).to.include.keys('name', 'ttl', 'delay', 'token');
  });

  it('a play calls the installed module by its fully qualified name', async function () {
    if (!agent) throw new Error('no agent');
    const run = await runCli('ansible-playbook', ['-i', 'localhost,', resolve(__dirname, 'plays/fqcn.yml')], {
      cwd: dir,
      env: { ...env, ...JSON_CALLBACK, CONSUL_HTTP_ADDR: agent.httpAddr },
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
});
