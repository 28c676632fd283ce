/** Reading ansible-playbook's default (human) output, for runs at -v and above where JSON is not an option. */
import { expect } from 'chai';

/** The lines ansible-playbook printed for one task, from its TASK banner to the next banner. */
export function taskBlock(output: string, name: string): string {
  const start = output.indexOf(`TASK [${name}]`);
  expect(start, `task ${name} ran`).to.be.greaterThan(-1);
  const next = output.slice(start + 1).search(/^(TASK|PLAY RECAP) \[?/m);
  return next < 0 ? output.slice(start) : output.slice(start, start + 1 + next);
}

/** The PLAY RECAP counters of one host, e.g. { ok: 8, changed: 3, failed: 0, ... }. */
export function recap(output: string, host: string): Record<string, number> {
  const line = new RegExp(`^${host}\\s+:\\s+(.*)$`, 'm').exec(output.slice(output.lastIndexOf('PLAY RECAP')));
  expect(line, `PLAY RECAP has ${host}`).not.to.equal(null);
  return Object.fromEntries([...line![1]!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}
