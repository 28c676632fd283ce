// Like actions/*'s check-dist job: the committed generated files and the committed bundle must be
// exactly what a fresh build from the committed sources produces.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const GENERATED = [
  'schema/consul_session.schema.json',
  'src/consul_session/generated/spec.ts',
  'src/consul_session/generated/validate.js',
  'src/consul_session/generated/validate.d.ts',
  'README.md',
  'dist/consul_session.js',
  'dist/consul_session.yml',
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

  it('dist/consul_session.js is an executable Node script Ansible passes a JSON args file to', () => {
    const text = readFileSync(join(root, 'dist/consul_session.js'), 'utf8');
    expect(text.split('\n', 1)[0]).to.equal('#!/usr/bin/node');
    expect(text).to.contain('WANT_JSON');
    expect(statSync(join(root, 'dist/consul_session.js')).mode & 0o111).to.equal(0o111);
  });
});
