/**
 * One version: package.json's. The generated collection/galaxy.yml, the top entry of CHANGELOG.md (and
 * the collection's copy of it) and the tarball's name must all say the same, so a release cannot ship a
 * collection that calls itself something else than its changelog and its tag (`npm run release`).
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ansibleOrSkip } from '../support/ansible.js';
import { git, gitSnapshot } from '../support/git-snapshot.js';

const root = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;
/** The first `## x.y.z` heading, as scripts/release.mjs reads it. */
const topEntry = (text: string) => /^## (\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];

describe('one version (package.json) everywhere', function () {
  it('package.json has a semantic version, and package-lock.json the same', () => {
    expect(VERSION).to.match(/^\d+\.\d+\.\d+$/);
    expect((JSON.parse(read('package-lock.json')) as { version: string }).version).to.equal(VERSION);
  });

  it('the generated collection/galaxy.yml carries it; its source has none to disagree with', () => {
    const galaxy = parseYaml(read('collection/galaxy.yml')) as { namespace: string; name: string; version: string };
    expect(galaxy).to.include({ namespace: 'consul_ts', name: 'consul', version: VERSION });
    expect(parseYaml(read('src/collection/galaxy.yml'))).to.not.have.property('version');
  });

  it("CHANGELOG.md's top entry is this version, and the collection ships the same CHANGELOG.md", () => {
    expect(topEntry(read('CHANGELOG.md'))).to.equal(VERSION);
    expect(read('collection/CHANGELOG.md')).to.equal(read('CHANGELOG.md'));
  });

  it('npm run collection names the tarball after it', function () {
    this.timeout(60_000);
    ansibleOrSkip(this, ['ansible-galaxy']);
    const out = mkdtempSync(join(tmpdir(), 'consul-version-'));
    try {
      const tarball = execFileSync(process.execPath, [join(root, 'scripts/collection.mjs'), '--out', out], { encoding: 'utf8' }).trim();
      expect(basename(tarball)).to.equal(`consul_ts-consul-${VERSION}.tar.gz`);
      const manifest = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'MANIFEST.json'], { encoding: 'utf8' })) as { collection_info: { version: string } };
      expect(manifest.collection_info.version).to.equal(VERSION);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('npm run release refuses a dirty tree, and a version the changelog does not announce, before building anything', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'consul-release-'));
    try {
      const { repo } = gitSnapshot(join(dir, 'repo'), VERSION);
      // The script's imports (yaml) from this checkout; a symlink is not the folder .gitignore names, so excluded here.
      symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
      appendFileSync(join(repo, '.git/info/exclude'), '/node_modules\n');
      const release = () => spawnSync(process.execPath, [join(repo, 'scripts/release.mjs')], { cwd: repo, encoding: 'utf8' });
      writeFileSync(join(repo, 'package.json'), read('package.json').replace(`"version": "${VERSION}"`, '"version": "9.9.9"'));
      const dirty = release();
      expect(dirty.status).to.equal(1);
      expect(dirty.stderr).to.contain('uncommitted changes').and.contain('package.json');
      git(repo, ['commit', '-q', '-am', 'a version without its changelog entry']);
      const unannounced = release();
      expect(unannounced.status).to.equal(1);
      expect(unannounced.stderr).to.contain(`CHANGELOG.md's top entry is ${VERSION}, package.json says 9.9.9`);
      expect(unannounced.stdout).to.not.contain('git tag');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
