// Renders README.md's least-privilege table from test/security/acl-policies.ts (the rows
// least-privilege.test.ts proves against a real agent), between <!-- acl-policies:start --> and
// <!-- acl-policies:end -->. Run `npx tsx scripts/acl-table.ts` after changing the table;
// test/unit/acl-table.test.ts fails while the README disagrees with it.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { POLICIES, WITHOUT_WORDS, type Without } from '../test/security/acl-policies';

export const START = '<!-- acl-policies:start -->';
export const END = '<!-- acl-policies:end -->';
export const README = resolve(__dirname, '../README.md');

const SHORT: Record<Without, string> = { denied: '403', 'hidden-fails': 'hidden, fails', hidden: 'hidden, succeeds' };
const code = (text: string) => `\`${text}\``;

export function renderAclTable(): string {
  const rows = POLICIES.map((row) => {
    const rules = row.rules.map((r) => code(r.rule)).join('<br>');
    const without = row.rules.map((r) => SHORT[r.without]).join('<br>');
    return `| ${row.module} | ${row.state} | ${row.when || 'every case'} | ${rules} | ${without} |`;
  });
  const legend = (Object.keys(SHORT) as Without[]).map((kind) => `- **${SHORT[kind]}**: ${WITHOUT_WORDS[kind]}.`);
  return [
    '| module | state | case | smallest policy (every rule needed) | without that rule |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...legend,
  ].join('\n');
}

/** The README with the table between its markers; throws when a marker is missing. */
export function withAclTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks ${START} … ${END}`);
  return `${readme.slice(0, start + START.length)}\n${renderAclTable()}\n${readme.slice(end)}`;
}

if (process.argv[1]?.endsWith('acl-table.ts')) {
  const before = readFileSync(README, 'utf8');
  const after = withAclTable(before);
  if (after !== before) writeFileSync(README, after);
  process.stdout.write(after === before ? 'README.md: the least-privilege table is current\n' : 'README.md: least-privilege table rewritten\n');
}
