// The fuzz loop both lock kinds share: fast-check args files run in-process through the same runner as the
// built module, against a recorder that answers like Consul. Every case must give one clean result and
// reach no Consul path outside the module's own keys; each caller says what "its own keys" are.
import { expect } from 'chai';
import fc from 'fast-check';
import { parseArgs } from '../../src/shared/args';
import { execute, type ModuleDefinition } from '../../src/shared/run-module';
import type { CommonSettings } from '../../src/shared/parameters';
import { expectCleanOutcome } from './hostile';
import { startRecorder, type Recorded, type Recorder } from './recorder';

export interface KvFuzz<S extends CommonSettings> {
  name: string;
  module: ModuleDefinition<S>;
  args: fc.Arbitrary<Record<string, unknown>>;
  runs: number;
  /** Why this request is outside what these args may touch, or undefined when it is allowed. */
  forbidden: (req: Recorded, port: number, args: Record<string, unknown>) => string | undefined;
  /** How the log line describes where the KV requests went. */
  where: string;
}

/** Declares, inside the caller's describe, the recorder and the one property test. */
export function fuzzKvModule<S extends CommonSettings>(title: string, fuzz: KvFuzz<S>): void {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  let rec: Recorder;
  before(async () => {
    rec = await startRecorder();
  });
  after(async () => {
    await rec.close();
  });

  it(`${fuzz.runs} generated args files: ${title}`, async () => {
    const started = Date.now();
    let kvRequests = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fuzz.args, async (p) => {
        const args: Record<string, unknown> = { ...p, host: '127.0.0.1', port: rec.port, timeout: 2, retry_timeout: 0 };
        rec.requests.length = 0;
        const { result, exitCode } = await execute(fuzz.module, () => parseArgs(JSON.stringify(args)), {});
        if (exitCode === 1) refused += 1;
        expectCleanOutcome(args, result, exitCode);
        for (const req of rec.requests) {
          if (req.path.startsWith('/v1/kv/')) kvRequests += 1;
          expect(fuzz.forbidden(req, rec.port, args), 'request').to.equal(undefined);
        }
      }),
      { numRuns: fuzz.runs, seed, endOnFailure: false },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      [fuzz] ${fuzz.name} in-process: ${fuzz.runs} cases in ${seconds} s (${refused} refused, ${kvRequests} KV requests, ${fuzz.where})`);
    expect(kvRequests, 'the generator reaches the KV requests').to.be.greaterThan(fuzz.runs / 10);
  });
}
