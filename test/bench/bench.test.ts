// Smoke test of `npm run bench`: the benchmark runs end to end with tiny settings (2 rounds, no playbook
// and no 10,000-session part) and writes JSON of the expected shape. It asserts nothing about speed.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { consulOrSkip } from '../support/consul';
import { REPO_ROOT } from '../support/ansible';
import type { BenchResult } from '../../bench/report';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bench/run.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const positive = (value: unknown, what: string): void => {
  expect(value, what).to.be.a('number');
  expect(Number(value), what).to.be.greaterThan(0);
};

describe('npm run bench (smoke: --rounds 2 --quick)', function () {
  this.timeout(90_000);
  let dir: string;
  let result: BenchResult;
  let stdout: string;

  before(async function () {
    consulOrSkip(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const out = path.join(dir, 'latest.json');
    const run = await runBench(['--rounds', '2', '--quick', '--out', out]);
    if (run.code !== 0) throw new Error(`bench exited ${String(run.code)}:\n${run.stderr}`);
    stdout = run.stdout;
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('times every state against node -e 0, with ratios', () => {
    expect(result.direct.rounds).to.equal(2);
    positive(result.direct.floor.median, 'node -e 0 median');
    expect(result.direct.rows.map((row) => row.state)).to.deep.equal(['list', 'info', 'present_hit', 'present_create', 'absent']);
    for (const row of result.direct.rows) {
      expect(row.ours.n, row.state).to.equal(2);
      positive(row.ours.median, `${row.state} median`);
      positive(row.oursRatio, `${row.state} ratio`);
      expect(row.verdict).to.be.oneOf(['PASS', 'MISS']);
      if (result.skipped.python === undefined) {
        positive(row.python?.median, `${row.state} Python median`);
        positive(row.pythonRatio, `${row.state} Python ratio`);
      }
    }
  });

  it('counts the HTTP requests of every state and sizes the bundle', () => {
    for (const state of ['list', 'info', 'present_hit', 'present_create', 'absent']) {
      positive(result.requests[state]?.ours.total, `${state} requests`);
    }
    expect(result.targets.presentHitRequests.value).to.equal(result.requests.present_hit!.ours.total);
    positive(result.bundle.bytes, 'bundle bytes');
    positive(result.bundle.gzipBytes, 'bundle gzip bytes');
    expect(result.bundle.gzipBytes).to.be.lessThan(result.bundle.bytes);
  });

  it('says the quick parts were skipped, and prints a markdown table', () => {
    expect(result.playbook).to.equal(undefined);
    expect(result.bigList).to.equal(undefined);
    expect(result.skipped.playbook).to.match(/--quick/);
    expect(result.skipped.bigList).to.match(/--quick/);
    expect(stdout).to.include('| state | consul_session.js |');
    expect(stdout).to.match(/\*\*(PASS|MISS)\*\*/);
  });
});
