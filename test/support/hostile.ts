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
