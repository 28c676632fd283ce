// Hostile input, property-based (fast-check): generated args files — wrong types, huge strings,
// unicode, nested junk, ids and node names built to leave the session endpoints — must always give one
// clean result object, never a stack trace, never a printed token, and no request to any Consul path
// but the session endpoints. The bulk runs in-process through the same steps as the built module (so
// thousands of cases take seconds); a few hundred run the built executable.
import { expect } from 'chai';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/shared/args';
import { OPTIONS } from '../../src/consul_session/generated/spec';
import { HOSTILE_PIECES, hostileString, junk, sometimesValid } from '../support/hostile';
import { consulSession } from '../../src/consul_session/module';
import { execute, type Outcome } from '../../src/shared/run-module';
import { MODULE_PATH, moduleNode, parseSingleJson } from '../support/module';
import { forbiddenRequest, startRecorder, type Recorder } from '../support/recorder';

const IN_PROCESS_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const EXECUTABLE_RUNS = Number(process.env.FUZZ_EXEC_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** One attempt per request, where the module retries transient failures. */
const NO_RETRY = 'retry_timeout' in OPTIONS ? { retry_timeout: 0 } : {};

const duration = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom('20s', '1m30s', '500ms', '10', '24h', '25h', '-1s', '1e3', 'NaN'));

/** Module parameters, most of them plausible, every one of them sometimes junk. */
const params = fc.record(
  {
    state: sometimesValid(fc.constantFrom('present', 'absent', 'info', 'node', 'list', 'renewed')),
    name: sometimesValid(fc.oneof(fc.string(), hostileString)),
    id: sometimesValid(fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString })),
    node: sometimesValid(
      fc.oneof({ weight: 2, arbitrary: fc.constant('recorder-node') }, hostileString, fc.string({ unit: 'grapheme', minLength: 1 })),
    ),
    datacenter: sometimesValid(fc.oneof({ weight: 3, arbitrary: fc.constant('dc1') }, { weight: 1, arbitrary: hostileString })),
    checks: sometimesValid(fc.array(fc.oneof(fc.string(), hostileString), { maxLength: 4 })),
    node_checks: sometimesValid(fc.array(fc.string(), { maxLength: 3 })),
    service_checks: sometimesValid(fc.array(fc.record({ id: sometimesValid(fc.string()), namespace: sometimesValid(fc.constant('')) }, { requiredKeys: [] }), { maxLength: 3 })),
    behavior: sometimesValid(fc.constantFrom('release', 'delete')),
    delay: sometimesValid(duration),
    ttl: sometimesValid(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 10, max: 86_400 }) }, { weight: 1, arbitrary: duration })),
    token: sometimesValid(fc.oneof(fc.uuid(), fc.string({ minLength: 8 }), hostileString.map((s) => `tok${s}en`))),
    validate_certs: sometimesValid(fc.boolean()),
    _ansible_check_mode: sometimesValid(fc.boolean()),
    _ansible_diff: sometimesValid(fc.boolean()),
  },
  { requiredKeys: [] },
).chain((p) =>
  fc
    .oneof({ weight: 6, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), hostileString), junk, { maxKeys: 2 }) })
    .map((extra) => ({ ...extra, ...p })),
);

/** Hostile hosts that still point at the recorder: anything that rewrites the URL must be caught. */
function hostileHost(port: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('127.0.0.1', '127.0.0.1:1', `127.0.0.1:${port}`, 'user@127.0.0.1', '[::1'), fc.constantFrom(...HOSTILE_PIECES, `:${port}/v1/kv/x#`, `:${port}/v1/kv/x?`, '/v1/kv/x#', '/v1/kv/x?', ''))
    .map(([h, s]) => h + s);
}

/** What dist/consul_session.js does, in-process, against the recorder. */
function runInProcess(text: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return execute(consulSession, () => parseArgs(text), env);
}

/** A token value the output must not contain (short ones would match ordinary words by chance). */
function tokenOf(args: Record<string, unknown>): string | undefined {
  const token = args.token;
  return typeof token === 'string' && token.length >= 8 ? token : undefined;
}

/** Every check that holds for any input, whatever the outcome. */
function checkOutcome(args: Record<string, unknown>, printed: string, result: Record<string, unknown>, exitCode: number | null, rec: Recorder): void {
  expect(exitCode, 'exit code').to.equal(result.failed === true ? 1 : 0);
  expect(result, 'an unexpected error (a bug), reported with its stack').to.not.have.property('exception');
  expect(JSON.stringify(result.msg ?? ''), 'msg').to.not.match(/failed unexpectedly/);
  expect(printed, 'no stack trace').to.not.match(/\bat (?:async )?\S+ \(?(?:\/|node:)[^)]*:\d+:\d+\)?/);
  expect(printed, 'no Node internals in the output').to.not.match(/TypeError|RangeError|ReferenceError|ERR_INVALID_CHAR|ERR_INVALID_URL/);
  const token = tokenOf(args);
  if (token !== undefined) expect(printed, 'the token is never printed').to.not.contain(JSON.stringify(token).slice(1, -1));
  for (const req of rec.requests) expect(forbiddenRequest(req, rec.port), 'request').to.equal(undefined);
}

const report = (what: string, runs: number, ms: number, detail = '') =>
  console.log(`      [fuzz] ${what}: ${runs} cases in ${(ms / 1000).toFixed(1)} s${detail}`);

describe('security: hostile input (fast-check)', function () {
  this.timeout(300_000);
  let rec: Recorder;
  const fixed = () => ({ host: '127.0.0.1', port: rec.port, scheme: 'http', timeout: 2, ...NO_RETRY });

  before(async () => {
    rec = await startRecorder();
  });
  after(async () => {
    await rec.close();
  });

  it(`validation, planning and the HTTP client, in-process: ${IN_PROCESS_RUNS} generated args files`, async () => {
    const started = Date.now();
    let requests = 0;
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const args = { ...p, ...fixed() };
        rec.requests.length = 0;
        const { result, exitCode } = await runInProcess(JSON.stringify(args), {});
        requests += rec.requests.length;
        if (exitCode === 1) failed += 1;
        checkOutcome(args, JSON.stringify(result), result, exitCode, rec);
      }),
      { numRuns: IN_PROCESS_RUNS, seed: SEED, endOnFailure: false },
    );
    report('in-process', IN_PROCESS_RUNS, Date.now() - started, ` (${failed} refused, ${requests} requests, all to session endpoints)`);
  });

  it('hostile host, port and scheme never send a request anywhere but the session endpoints', async () => {
    const started = Date.now();
    const runs = 1_000;
    const connection = fc.record({
      // Never a host that converts to a real name: nothing may leave for a resolver or another machine.
      host: fc.oneof({ weight: 4, arbitrary: hostileHost(rec.port) }, { weight: 1, arbitrary: fc.oneof(fc.array(junk), fc.object()) }),
      port: fc.oneof(fc.constant(rec.port), fc.constant(String(rec.port)), junk),
      scheme: fc.oneof(fc.constant('http'), junk),
    }, { requiredKeys: ['host', 'port'] });
    await fc.assert(
      fc.asyncProperty(connection, fc.constantFrom('list', 'node', 'present'), async (c, state) => {
        const args = { timeout: 1, ...NO_RETRY, state, name: 'fuzz', ...c };
        rec.requests.length = 0;
        const { result, exitCode } = await runInProcess(JSON.stringify(args), {});
        checkOutcome(args, JSON.stringify(result), result, exitCode, rec);
      }),
      { numRuns: runs, seed: SEED },
    );
    report('hostile connection parameters', runs, Date.now() - started);
  });

  it('args files that are not objects, not JSON, or not UTF-8 are refused cleanly', async () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify({ ANSIBLE_MODULE_ARGS: v })),
      fc.constantFrom('', '{', '[]', 'null', '"x"', '{"__proto__": {"state": "list"}}', '{"constructor": {"prototype": {}}}', '{"state": "list", "state": 5}'),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        rec.requests.length = 0;
        const { result, exitCode } = await runInProcess(text, { CONSUL_HTTP_ADDR: `127.0.0.1:${rec.port}` });
        checkOutcome({}, JSON.stringify(result), result, exitCode, rec);
      }),
      { numRuns: 2_000, seed: SEED },
    );
  });

  it(`the built executable: ${EXECUTABLE_RUNS} generated args files, one JSON object each`, async () => {
    const started = Date.now();
    const samples = fc.sample(
      fc.oneof(
        { weight: 4, arbitrary: params.map((p) => ({ ...p, ...fixed() })) },
        { weight: 1, arbitrary: fc.record({ host: hostileHost(rec.port), state: fc.constantFrom('list', 'present') }).map((c) => ({ ...fixed(), ...c })) },
      ),
      { numRuns: EXECUTABLE_RUNS, seed: SEED },
    );
    const dir = mkdtempSync(join(tmpdir(), 'consul-session-fuzz-'));
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < samples.length) {
          const index = next++;
          const args = samples[index] as Record<string, unknown>;
          const file = join(dir, `args-${index}`);
          writeFileSync(file, JSON.stringify(args));
          const child = spawn(moduleNode(), [MODULE_PATH, file], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
          child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
          const code = await new Promise<number | null>((done) => child.on('close', done));
          const context = `args ${JSON.stringify(args).slice(0, 500)}`;
          expect(stderr, `nothing on stderr for ${context}`).to.equal('');
          const result = parseSingleJson(stdout);
          checkOutcome(args, stdout, result, code, rec);
        }
      };
      // The recorder's requests are checked in aggregate here (the runs overlap).
      rec.requests.length = 0;
      await Promise.all(Array.from({ length: 8 }, worker));
      for (const req of rec.requests) expect(forbiddenRequest(req, rec.port)).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    report('built executable', EXECUTABLE_RUNS, Date.now() - started);
  });
});
