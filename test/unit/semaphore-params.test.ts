// consul_semaphore's parameters: the checks no schema can express (the prefix's segments, the value's
// size), the rules of required_if, and a prefix written the way `consul lock -n 2 PREFIX/` accepts it.
import { expect } from 'chai';
import { parseArgs } from '../../src/shared/args';
import { ModuleFailure } from '../../src/shared/errors';
import { toSettings } from '../../src/consul_semaphore/params';

const SESSION = '0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e';
const settingsOf = (params: Record<string, unknown>) => toSettings(parseArgs(JSON.stringify(params)), {});

function failureOf(params: Record<string, unknown>): string {
  try {
    settingsOf(params);
  } catch (error) {
    expect(error).to.be.instanceOf(ModuleFailure);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(params)} to be refused`);
}

describe('consul_semaphore parameters', () => {
  it('takes a slot by default, without waiting, failing when none is free; value undefined keeps a stored one', () => {
    const s = settingsOf({ prefix: 'semaphores/x', limit: 2, session: SESSION.toUpperCase() });
    expect(s).to.include({ state: 'acquired', prefix: 'semaphores/x', limit: 2, session: SESSION, waitMs: 0, failIfNotAcquired: true, value: undefined });
    expect(settingsOf({ prefix: 'p', limit: '3', session: SESSION, wait: '1m30s' })).to.include({ limit: 3, waitMs: 90_000 });
  });

  it('drops one trailing "/" of the prefix, as consul lock does, and refuses empty, "." and ".." segments', () => {
    expect(settingsOf({ prefix: 'semaphores/x/', state: 'info' }).prefix).to.equal('semaphores/x');
    expect(failureOf({ prefix: 'semaphores//x', state: 'info' })).to.match(/^value of prefix must not contain an empty segment/);
    expect(failureOf({ prefix: 'semaphores/x//', state: 'info' })).to.match(/empty segment/);
    expect(failureOf({ prefix: '/semaphores', state: 'info' })).to.match(/empty segment/);
    expect(failureOf({ prefix: 'a/../b', state: 'info' })).to.match(/a "\.\." segment/);
    expect(failureOf({ prefix: 'a/.', state: 'info' })).to.match(/a "\." segment/);
  });

  it('names a missing required parameter once, in Ansible words, beside the other problems', () => {
    expect(failureOf({ limit: 0 })).to.equal(
      'missing required arguments: prefix; state is acquired but all of the following are missing: session; value of limit must be at least 1, got: 0',
    );
  });

  it('needs session and limit to take a slot, session to give it back, neither to read', () => {
    expect(failureOf({ prefix: 'p' })).to.equal('state is acquired but all of the following are missing: session, limit');
    // As Ansible words it: only what is missing is named (limit 0 is given, and wrong for another reason).
    expect(failureOf({ prefix: 'p', session: SESSION })).to.equal('state is acquired but all of the following are missing: limit');
    expect(failureOf({ prefix: 'p', limit: 0 })).to.equal(
      'state is acquired but all of the following are missing: session; value of limit must be at least 1, got: 0',
    );
    expect(failureOf({ prefix: 'p', state: 'released' })).to.equal('state is released but all of the following are missing: session');
    expect(settingsOf({ prefix: 'p', state: 'info' }).limit).to.equal(undefined);
  });

  it('refuses a limit below 1 or above 10000, and a value over 512 KiB, before any request', () => {
    expect(failureOf({ prefix: 'p', limit: 0, session: SESSION })).to.equal('value of limit must be at least 1, got: 0');
    expect(failureOf({ prefix: 'p', limit: 10_001, session: SESSION })).to.equal('value of limit must be at most 10000, got: 10001');
    expect(failureOf({ prefix: 'p', limit: 1, session: SESSION, value: 'x'.repeat(512 * 1024 + 1) })).to.match(/^value is 524289 bytes; Consul stores at most/);
  });
});
