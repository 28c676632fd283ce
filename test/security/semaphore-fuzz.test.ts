// consul_semaphore under hostile input (fast-check): generated prefixes, limits, sessions, values and
// waits must give one clean result object, never a stack trace or a printed token, and reach no Consul
// path but the semaphore's own keys under that prefix (and the session endpoints). In-process, through
// the same runner as the built module.
import fc from 'fast-check';
import { consulSemaphore } from '../../src/consul_semaphore/module';
import { HOSTILE_PIECES, hostileString, lockKindArgs, sometimesValid } from '../support/hostile';
import { fuzzKvModule } from '../support/kv-fuzz';
import { forbiddenSemaphoreRequest } from '../support/recorder';

const RUNS = Number(process.env.FUZZ_SEMAPHORE_RUNS ?? 1_500);

const piece = fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.constantFrom('semaphores', 'a', '.lock', 'b c'));
const prefix = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([p, slash]) => p.join('/') + (slash ? '/' : '')) },
  { weight: 1, arbitrary: hostileString },
);
const params = lockKindArgs({
  prefix: sometimesValid(prefix),
  limit: sometimesValid(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, '2', 1e9, 2.5, 'many') })),
});

/** The prefix the module works under: the given one without a trailing slash (a lone "/" stays). */
const normalized = (given: string) => (given.length > 1 && given.endsWith('/') ? given.slice(0, -1) : given);

describe('security: consul_semaphore under hostile input (fast-check)', function () {
  this.timeout(300_000);
  fuzzKvModule("clean results, and requests only to the semaphore's keys under that prefix", {
    name: 'consul_semaphore',
    module: consulSemaphore,
    args: params,
    runs: RUNS,
    forbidden: (req, port, args) => forbiddenSemaphoreRequest(req, port, normalized(String(args.prefix))),
    where: 'each under its own prefix',
  });
});
