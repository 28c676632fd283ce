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
import { cleanEnv, NODE_STARTUP_VARIABLES } from '../../bench/environment';

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
    // One Node.js, the one running the tests: the smoke test must not fetch another.
    const run = await runBench(['--rounds', '2', '--quick', '--node', process.execPath, '--out', out]);
    if (run.code !== 0) throw new Error(`bench exited ${String(run.code)}:\n${run.stderr}`);
    stdout = run.stdout;
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('times every state against node -e 0 and one plain http.get, with ratios', () => {
    expect(result.nodes).to.have.length(1);
    const direct = result.nodes[0]!.direct;
    expect(direct.rounds).to.equal(2);
    positive(direct.floor.median, 'node -e 0 median');
    positive(direct.oneGet.median, 'one http.get median');
    const sessionStates = ['list', 'info', 'present_hit', 'present_create', 'absent'];
    const lockStates = result.skipped.lock === undefined ? ['lock_acquire', 'lock_held'] : [];
    expect(direct.rows.map((row) => row.state)).to.deep.equal([...sessionStates, ...lockStates]);
    for (const row of direct.rows) {
      expect(row.ours.n, row.state).to.equal(2);
      positive(row.ours.median, `${row.state} median`);
      positive(row.oursRatio, `${row.state} ratio`);
      positive(row.oursOverGet, `${row.state} ÷ http.get`);
      expect(row.verdict).to.be.oneOf(['PASS', 'MISS']);
      if (result.skipped.python === undefined && row.module === 'consul_session') {
        positive(row.python?.median, `${row.state} Python median`);
        positive(row.pythonRatio, `${row.state} Python ratio`);
      }
    }
  });

  it('counts the HTTP requests of every state and sizes the bundles', () => {
    for (const state of ['list', 'info', 'present_hit', 'present_create', 'absent']) {
      positive(result.requests[state]?.ours.total, `${state} requests`);
    }
    expect(result.targets.presentHitRequests.value).to.equal(result.requests.present_hit!.ours.total);
    const session = result.bundles['ours:consul_session'];
    positive(session?.bytes, 'bundle bytes');
    expect(session!.gzipBytes).to.be.greaterThan(0).and.lessThan(session!.bytes);
  });

  it('measures without the variables that change Node.js start-up, and says which it dropped', () => {
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS };
    process.env.NODE_OPTIONS = '--max-old-space-size=64';
    process.env.NODE_EXTRA_CA_CERTS = '/nonexistent.pem';
    try {
      const env = cleanEnv();
      expect(env).not.to.have.property('NODE_OPTIONS');
      expect(env).not.to.have.property('NODE_EXTRA_CA_CERTS');
      expect(env.PATH).to.equal(process.env.PATH);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(result.environment.dropped).to.deep.equal(NODE_STARTUP_VARIABLES.filter((name) => process.env[name] !== undefined));
  });

  it('says the quick parts were skipped, and prints a markdown table', () => {
    expect(result.nodes[0]!.playbook).to.equal(undefined);
    expect(result.nodes[0]!.bigList).to.equal(undefined);
    expect(result.skipped.playbook).to.match(/--quick/);
    expect(result.skipped.bigList).to.match(/--quick/);
    expect(result.handoff).to.equal(undefined);
    expect(result.skipped.handoff).to.match(/--quick/);
    expect(stdout).to.include('| run | this build |');
    expect(stdout).to.match(/\*\*(PASS|MISS)\*\*/);
  });
});
