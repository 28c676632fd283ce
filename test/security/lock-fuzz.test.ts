// consul_lock under hostile input (fast-check): generated keys, sessions, values and waits must give one
// clean result object, never a stack trace or a printed token, and reach no Consul path but the KV path
// of exactly that key (and the session endpoints). In-process, through the same runner as the built module.
import fc from 'fast-check';
import { consulLock } from '../../src/consul_lock/module';
import { HOSTILE_PIECES, hostileString, lockKindArgs, sometimesValid } from '../support/hostile';
import { fuzzKvModule } from '../support/kv-fuzz';
import { forbiddenRequest } from '../support/recorder';

const RUNS = Number(process.env.FUZZ_LOCK_RUNS ?? 3_000);

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
  fuzzKvModule("clean results, and requests only to that key's KV path", {
    name: 'consul_lock',
    module: consulLock,
    args: lockParams,
    runs: RUNS,
    forbidden: (req, port, args) => forbiddenRequest(req, port, String(args.key)),
    where: "each on its own key's path",
  });
});
