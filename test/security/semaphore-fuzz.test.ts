// consul_semaphore under hostile input (fast-check): generated prefixes, limits, sessions, values and
// waits must give one clean result object, never a stack trace or a printed token, and reach no Consul
// path but the semaphore's own keys under that prefix (and the session endpoints). In-process, through
// the same runner as the built module.
import { expect } from 'chai';
import fc from 'fast-check';
import { parseArgs } from '../../src/shared/args';
import { consulSemaphore } from '../../src/consul_semaphore/module';
import { execute } from '../../src/shared/run-module';
import { HOSTILE_PIECES, expectCleanOutcome, hostileString, lockKindArgs, sometimesValid } from '../support/hostile';
import { forbiddenSemaphoreRequest, startRecorder, type Recorder } from '../support/recorder';

const RUNS = Number(process.env.FUZZ_SEMAPHORE_RUNS ?? 1_500);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const piece = fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.constantFrom('semaphores', 'a', '.lock', 'b c'));
const prefix = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([p, slash]) => p.join('/') + (slash ? '/' : '')) },
  { weight: 1, arbitrary: hostileString },
);
const params = lockKindArgs({
  prefix: sometimesValid(prefix),
  limit: sometimesValid(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, '2', 1e9, 2.5, 'many') })),
});

describe('security: consul_semaphore under hostile input (fast-check)', function () {
  this.timeout(300_000);
  let rec: Recorder;

  before(async () => {
    rec = await startRecorder();
  });
  after(async () => {
    await rec.close();
  });

  it(`${RUNS} generated args files: clean results, and requests only to the semaphore's keys under that prefix`, async () => {
    const started = Date.now();
    let kvRequests = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const args: Record<string, unknown> = { ...p, host: '127.0.0.1', port: rec.port, timeout: 2, retry_timeout: 0 };
        rec.requests.length = 0;
        const { result, exitCode } = await execute(consulSemaphore, () => parseArgs(JSON.stringify(args)), {});
        if (exitCode === 1) refused += 1;
        expectCleanOutcome(args, result, exitCode);
        const given = String(args.prefix);
        const normalized = given.length > 1 && given.endsWith('/') ? given.slice(0, -1) : given;
        for (const req of rec.requests) {
          if (req.path.startsWith('/v1/kv/')) kvRequests += 1;
          expect(forbiddenSemaphoreRequest(req, rec.port, normalized), 'request').to.equal(undefined);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    console.log(`      [fuzz] consul_semaphore in-process: ${RUNS} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (${refused} refused, ${kvRequests} KV requests, each under its own prefix)`);
    expect(kvRequests, 'the generator reaches the KV requests').to.be.greaterThan(RUNS / 10);
  });
});
