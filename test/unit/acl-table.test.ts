// README.md's least-privilege table is rendered from test/security/acl-policies.ts, the rows proven
// against a real agent: this fails when someone edits one without the other.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { END, README, renderAclTable, START, withAclTable } from '../../scripts/acl-table';
import { OPTIONS as LOCK_OPTIONS } from '../../src/consul_lock/generated/spec';
import { OPTIONS as SEMAPHORE_OPTIONS } from '../../src/consul_semaphore/generated/spec';
import { OPTIONS as SESSION_OPTIONS } from '../../src/consul_session/generated/spec';
import MODULES from '../../src/modules.json';
import { POLICIES } from '../security/acl-policies';

describe('README least-privilege table (scripts/acl-table.ts)', () => {
  const readme = readFileSync(README, 'utf8');

  it('is what acl-policies.ts renders (run `npx tsx scripts/acl-table.ts` after changing either)', () => {
    expect(readme, 'README.md differs from the rendered table').to.equal(withAclTable(readme));
  });

  it('has one row per policy row, and every rule of every row', () => {
    const block = readme.slice(readme.indexOf(START), readme.indexOf(END));
    expect(block.split('\n').filter((line) => /^\| consul_/.test(line))).to.have.length(POLICIES.length);
    for (const row of POLICIES) for (const { rule } of row.rules) expect(block).to.contain(`\`${rule}\``);
  });

  it('covers every state of every module (the choices of each generated spec)', () => {
    const specs = { consul_session: SESSION_OPTIONS, consul_lock: LOCK_OPTIONS, consul_semaphore: SEMAPHORE_OPTIONS };
    expect(Object.keys(specs)).to.deep.equal(MODULES);
    for (const [module, options] of Object.entries(specs)) {
      const states = options.state?.choices ?? [];
      expect(states).to.not.be.empty;
      for (const state of states) expect(POLICIES.some((row) => row.module === module && row.state === state), `${module} ${String(state)}`).to.equal(true);
    }
  });

  it('refuses a README without its markers', () => {
    expect(() => withAclTable('# no table here')).to.throw(START);
    expect(renderAclTable()).to.match(/^\| module \| state \|/);
  });
});
