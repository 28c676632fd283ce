// consul_lock under hostile input (fast-check): generated keys, sessions, values and waits must give one
// clean result object, never a stack trace or a printed token, and reach no Consul path but the KV path
// of exactly that key (and the session endpoints). In-process, through the same runner as the built module.
import { expect } from 'chai';
import fc from 'fast-check';
import { parseArgs } from '../../src/shared/args';
import { consulLock } from '../../src/consul_lock/module';
import { execute } from '../../src/shared/run-module';
import { HOSTILE_PIECES, expectCleanOutcome, hostileString, lockKindArgs, sometimesValid } from '../support/hostile';
import { forbiddenRequest, startRecorder, type Recorder } from '../support/recorder';

const RUNS = Number(process.env.FUZZ_LOCK_RUNS ?? 3_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const keyPiece = fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.constantFrom('locks', 'a', 'b c'));
const key = fc.oneof(
  { weight: 4, arbitrary: fc.array(keyPiece, { minLength: 1, maxLength: 5 }).map((p) => p.join('/')) },
  { weight: 1, arbitrary: hostileString },
);
const lockParams = lockKindArgs({
  key: sometimesValid(key),
});

describe('security: consul_lock under hostile input (fast-check)', function () {
  this.timeout(300_000);
  let rec: Recorder;

  before(async () => {
    rec = await startRecorder();
  });
  after(async () => {
    await rec.close();
  });

  it(`${RUNS} generated args files: clean results, and requests only to that key's KV path`, async () => {
    const started = Date.now();
    let kvRequests = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(lockParams, async (p) => {
        const args: Record<string, unknown> = { ...p, host: '127.0.0.1', port: rec.port, timeout: 2, retry_timeout: 0 };
        rec.requests.length = 0;
        const { result, exitCode } = await execute(consulLock, () => parseArgs(JSON.stringify(args)), {});
        if (exitCode === 1) refused += 1;
        expectCleanOutcome(args, result, exitCode);
        for (const req of rec.requests) {
          if (req.path.startsWith('/v1/kv/')) kvRequests += 1;
          expect(forbiddenRequest(req, rec.port, String(args.key)), 'request').to.equal(undefined);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    console.log(`      [fuzz] consul_lock in-process: ${RUNS} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (${refused} refused, ${kvRequests} KV requests, each on its own key's path)`);
    expect(kvRequests, 'the generator reaches the KV requests').to.be.greaterThan(RUNS / 10);
  });
});
