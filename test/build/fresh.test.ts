// Like actions/*'s check-dist job: the committed generated files, the committed bundle and the committed
// collection/ folder (what a git install hands users, and what the tarball packs) must be exactly what a
// fresh build from the committed sources produces.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
/** Every file under dir, relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]))
    .sort();
}

/** Every module: a folder of src/ holding its own parameter table, src/<module>/<module>.yml. */
const MODULES = readdirSync(join(root, 'src')).filter((name) => existsSync(join(root, 'src', name, `${name}.yml`)));
/** The shared doc fragments: every src/shared/<fragment>.yml, each with its generated type. */
const FRAGMENTS = readdirSync(join(root, 'src/shared')).filter((file) => file.endsWith('.yml')).map((file) => file.slice(0, -4));
const GENERATED = [
  'README.md',
  ...FRAGMENTS.map((name) => `src/shared/generated/${name}.ts`),
  ...MODULES.flatMap((name) => [
    `schema/${name}.schema.json`,
    `src/${name}/generated/spec.ts`,
    `src/${name}/generated/validate.js`,
    `src/${name}/generated/validate.d.ts`,
    `dist/${name}.js`,
    `dist/${name}.yml`,
  ]),
];

describe('committed build output', function () {
  this.timeout(60_000);
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'consul-session-build-'));
    execFileSync(process.execPath, [join(root, 'build.mjs'), '--out', out], { stdio: 'pipe' });
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  for (const file of GENERATED) {
    it(`${file} is what a fresh build produces (run \`npm run build\` and commit it)`, () => {
      const fresh = readFileSync(join(out, file), 'utf8');
      const committed = readFileSync(join(root, file), 'utf8');
      expect(committed === fresh, `${file} is stale`).to.equal(true);
    });
  }

  it('collection/ holds exactly the files a fresh build writes, with the same run bits (run `npm run build` and commit it)', () => {
    const fresh = filesUnder(join(out, 'collection'));
    expect(filesUnder(join(root, 'collection'))).to.deep.equal(fresh);
    expect(fresh).to.include.members(['galaxy.yml', 'meta/runtime.yml', 'README.md', ...MODULES.map((name) => `plugins/modules/${name}.js`)]);
    for (const file of fresh) {
      const committed = join(root, 'collection', file);
      const built = join(out, 'collection', file);
      expect(readFileSync(committed).equals(readFileSync(built)), `collection/${file} is stale`).to.equal(true);
      expect(statSync(committed).mode & 0o111, `collection/${file}'s run bit`).to.equal(statSync(built).mode & 0o111);
    }
  });

  it('the collection has one galaxy.yml, the generated one (its source is src/collection/galaxy.yml)', () => {
    expect(existsSync(join(root, 'galaxy.yml')), 'a galaxy.yml at the repository root').to.equal(false);
    expect(existsSync(join(root, 'src/collection/galaxy.yml'))).to.equal(true);
  });

  it('finds every module (consul_session at least)', () => {
    expect(MODULES).to.include('consul_session');
  });

  it('src/modules.json, the one list the build reads, names exactly the module folders of src/', () => {
    const listed = JSON.parse(readFileSync(join(root, 'src/modules.json'), 'utf8')) as string[];
    expect([...listed].sort()).to.deep.equal([...MODULES].sort());
  });

  for (const name of MODULES) {
    it(`dist/${name}.js is an executable Node script Ansible passes a JSON args file to`, () => {
      const text = readFileSync(join(root, `dist/${name}.js`), 'utf8');
      expect(text.split('\n', 1)[0]).to.equal('#!/usr/bin/node');
      expect(text).to.contain('WANT_JSON');
      expect(statSync(join(root, `dist/${name}.js`)).mode & 0o111).to.equal(0o111);
    });
  }
});
