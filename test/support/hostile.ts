// The generators of hostile input the fuzz tests share (fast-check): pieces that try to leave the
// endpoint a value is meant for, huge strings, and junk of every JSON type.
import { expect } from 'chai';
import fc from 'fast-check';

/** Pieces that try to leave /v1/session/...: traversal, query and fragment injection, encodings, CRLF. */
export const HOSTILE_PIECES = [
  '../kv/secret', '..', '.', '/', '%2e%2e/', '%2E%2E', '%2f', '..%2f..%2fkv', 'a?dc=x', '?dc=x&', '?', '#', '#frag',
  '&stale', '\n', '\r\n', 'X-Injected: 1', '\u0000', '\\..\\kv', '/v1/kv/x', 'v1/kv/x', '@127.0.0.1', ':1',
  ' ', '\t', '%', '%zz', '%00', '\u202e', 'é', '😀', '\ud800', 'ﬀ', '\u2028', 'node-1', 'dc1',
  '0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e',
];
export const hostileString = fc.array(fc.constantFrom(...HOSTILE_PIECES), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));
export const hugeString = fc.tuple(fc.constantFrom('x', '/', '%2e', 'é', '😀', '../'), fc.integer({ min: 1_000, max: 40_000 })).map(([s, n]) => s.repeat(n));
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0.5, 65536, '', [], {}, [[]], { a: { b: [1] } }) },
);
/** Mostly a plausible value, so that many cases get past validation to the planning and the HTTP client. */
export const sometimesValid = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: junk });

/**
 * What holds for any in-process run of a module on hostile input, whatever the outcome: the exit code
 * matches `failed`, no unexpected error or stack trace, and a token of 8 characters or more never printed.
 */
export function expectCleanOutcome(args: Record<string, unknown>, result: Record<string, unknown>, exitCode: number): void {
  const printed = JSON.stringify(result);
  expect(exitCode).to.equal(result.failed === true ? 1 : 0);
  expect(result, 'an unexpected error (a bug)').to.not.have.property('exception');
  expect(printed, 'no stack trace').to.not.match(/\bat (?:async )?\S+ \(?(?:\/|node:)[^)]*:\d+:\d+\)?/);
  if (typeof args.token === 'string' && args.token.length >= 8) expect(printed).to.not.contain(JSON.stringify(args.token).slice(1, -1));
}

/**
 * The args of a lock kind's run (consul_lock, consul_semaphore): `own` (its key or prefix, its limit)
 * plus the options both share, the token and Ansible's flags, each sometimes junk, and sometimes a
 * parameter no module knows.
 */
export function lockKindArgs(own: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  // Mostly valid waits and tokens, so that most runs get as far as their KV requests.
  const shared = fc.record(
    {
      session: sometimesValid(fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString })),
      state: sometimesValid(fc.constantFrom('acquired', 'released', 'info')),
      value: sometimesValid(fc.oneof(fc.string(), hostileString, fc.string({ unit: 'binary', maxLength: 60 }))),
      wait: sometimesValid(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, '0s') }, { weight: 1, arbitrary: fc.constantFrom(-1, '25h', 'NaN') })),
      fail_if_not_acquired: sometimesValid(fc.boolean()),
      token: sometimesValid(fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString.map((s) => `tok${s}en`) })),
      _ansible_check_mode: sometimesValid(fc.boolean()),
      _ansible_diff: sometimesValid(fc.boolean()),
    },
    { requiredKeys: [] },
  );
  const extra = fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), junk, { maxKeys: 2 }) });
  // The module's own parameters are there in most runs (a missing key or prefix is refused before anything).
  const ownArgs = fc.record(own, { requiredKeys: Object.keys(own).slice(0, 1) });
  return fc.tuple(extra, ownArgs, shared).map(([e, o, p]) => ({ ...e, ...o, ...p }));
}
