// The bench's handoff part runs end to end on a tiny setting (1 round, 1 holder + 2 waiters per tool)
// against a real dev agent: every contender of every tool gets in, never two at once, and each handoff
// is paired with a release Consul answered. It asserts nothing about speed (the bench reports that).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { consulOrSkip, startDevAgent, type Agent } from '../support/consul';
import { modulePath } from '../support/module';
import { analyse, handoffPart, type HandoffPart } from '../../bench/handoff';
import { TOOLS } from '../../bench/handoff-waiters';

describe('bench: lock handoff part (1 round, 2 waiters)', function () {
  this.timeout(60_000);
  let agent: Agent;
  let tmp: string;
  let part: HandoffPart;

  before(async function () {
    consulOrSkip(this);
    agent = await startDevAgent();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-handoff-'));
    const modules = { consul_lock: modulePath('consul_lock'), consul_semaphore: modulePath('consul_semaphore') };
    part = await handoffPart(agent, { path: process.execPath, version: process.version }, modules, { rounds: 1, waiters: 2, holdMs: 50 }, tmp);
  });

  after(async () => {
    await agent?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lets every contender of every tool in, one at a time, with no problem reported', () => {
    expect(part.problems).to.deep.equal([]);
    expect(part.rows.map((r) => r.tool)).to.deep.equal([...TOOLS]);
    for (const row of part.rows) {
      expect(row.gotIn, row.tool).to.equal(3);
      expect(row.contenders, row.tool).to.equal(3);
      expect(row.maxInside, row.tool).to.equal(1);
    }
  });

  it('pairs each of the 2 handoffs per tool with a release, and compares ours with the CLI', () => {
    for (const row of part.rows) {
      expect(row.handoff?.n, row.tool).to.equal(2);
      expect(row.handoff!.min, `${row.tool}: the next one is inside after the release`).to.be.at.least(0);
      expect(row.toTake?.n, `${row.tool}: each handoff's taking write was seen`).to.equal(2);
      if (row.tool === 'consul lock') {
        expect(row.overCli).to.equal(undefined);
        expect(row.freshRun).to.equal(undefined);
      } else {
        expect(row.overCli).to.be.a('number');
        expect(row.verdict).to.be.oneOf(['PASS', 'MISS']);
        expect(row.freshRun?.n, row.tool).to.equal(1);
      }
    }
  });

  it('flags two inside at once, and a waiter inside before the release was answered', () => {
    const record = {
      tool: 'consul lock' as const,
      sections: [
        { label: 'a', in: 0, out: 100 },
        { label: 'b', in: 90, out: 200 },
      ],
      releases: [105],
      takes: [109],
      problems: [],
    };
    const result = analyse(record);
    expect(result.maxInside).to.equal(2);
    expect(result.problems).to.deep.equal(['consul lock: b was inside before the release of a was answered']);
    expect(analyse({ ...record, sections: [record.sections[0]!, { label: 'b', in: 112, out: 200 }] })).to.deep.include({ handoffs: [7], toTakes: [4], maxInside: 1, problems: [] });
  });
});
