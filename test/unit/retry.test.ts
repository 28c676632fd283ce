import { expect } from 'chai';
import sinon from 'sinon';
import { ConsulError } from '../../src/shared/errors';
import {
  BASE_DELAY_MS,
  MAX_DELAY_MS,
  RetriesExhausted,
  RetryBudget,
  backoffMs,
  certainlyNotApplied,
  innerReason,
  transientCause,
} from '../../src/shared/retry';
import type { TransportFailure } from '../../src/shared/transport-errors';

const request = { method: 'GET', path: '/v1/session/list' };
const http = (status: number, body: string) => new ConsulError('list the sessions', `Consul answered ${status}: ${body}`, { request, status, body });
// What transport-errors.ts made of a real error (test/unit/transport-failures.test.ts produces those).
const transport = (failure: TransportFailure, code: string, message = `the request failed (${code}).`) =>
  new ConsulError('list the sessions', message, { request, code, transport: failure });

describe('retry policy: what is transient', () => {
  const transient: Array<[string, ConsulError]> = [
    ['connection refused', transport('refused', 'ECONNREFUSED')],
    ['connection reset', transport('reset', 'ECONNRESET')],
    ['broken pipe', transport('reset', 'EPIPE')],
    ['an answer cut off half-way', transport('cut-short', 'ERR_BAD_RESPONSE')],
    ['axios timeout', transport('timeout', 'ECONNABORTED')],
    ['socket timeout', transport('timeout', 'ETIMEDOUT')],
    ['429', http(429, 'Your IP is issuing too many concurrent connections')],
    ['502', http(502, 'Bad Gateway')],
    ['503', http(503, 'Service Unavailable')],
    ['504', http(504, 'Gateway Timeout')],
    ['No cluster leader', http(500, 'No cluster leader')],
    ['wrapped No cluster leader', http(500, 'rpc error making call: No cluster leader')],
    ['stream closed', http(500, 'rpc error making call: stream closed')],
    ['failed to get conn', http(500, 'rpc error getting client: failed to get conn: dial tcp 127.0.0.1:41234: connect: connection refused')],
    ['leadership lost', http(500, 'leadership lost while committing log')],
    ['wrapped leadership lost', http(500, 'rpc error making call: leadership lost while committing log')],
    ['EOF from the server', http(500, 'rpc error making call: EOF')],
    [
      'a broken connection between agents (seen in test/chaos as a server restarted)',
      http(500, 'rpc error making call: rpc error making call: write tcp 127.0.0.1:40632->127.0.0.1:37471: write: broken pipe'),
    ],
    ['a reset connection between agents', http(500, 'rpc error making call: read tcp 127.0.0.1:40632->127.0.0.1:8300: read: connection reset by peer')],
    ['a half-read RPC answer', http(500, 'rpc error making call: unexpected EOF')],
    ['a closed RPC session', http(500, 'rpc error making call: session shutdown')],
    ['client without servers', http(500, 'No known Consul servers')],
    ['consistent read before the barrier', http(500, 'Not ready to serve consistent reads')],
  ];
  for (const [label, error] of transient) {
    it(`retries ${label}`, () => {
      expect(transientCause(error)).to.be.a('string').and.not.equal('');
    });
  }

  const permanent: Array<[string, unknown]> = [
    ['400', http(400, 'Request decode failed')],
    ['403', http(403, 'Permission denied')],
    ['404', http(404, "Session id '0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e' not found")],
    ['500 missing check', http(500, "Missing check 'x' registration")],
    ['500 missing check through a client agent', http(500, "rpc error making call: Missing check 'x' registration")],
    ['500 invalid TTL', http(500, "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]")],
    ['500 invalid TTL through a client agent', http(500, "rpc error making call: Invalid Session TTL '5000000000', must be between [10s=24h0m0s]")],
    ['500 a check named like a transient reason', http(500, "rpc error making call: Missing check 'stream closed' registration")],
    ['500 a check named like a network error', http(500, "rpc error making call: Missing check 'write tcp a: b' registration")],
    ['500 wrong datacenter', http(500, 'No path to datacenter')],
    ['500 bad UUID', http(500, 'failed session lookup: index error: UUID must be 36 characters')],
    ['TLS verification failure', transport('permanent', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
    ['a reset during a TLS handshake', transport('permanent', 'ECONNRESET', 'the agent refused the TLS handshake (socket hang up)')],
    ['an answer over the size limit', transport('permanent', 'ERR_BAD_RESPONSE')],
    ['a ConsulError from before any request', new ConsulError('list the sessions', 'x', { request })],
    ['an unknown host', transport('permanent', 'ENOTFOUND')],
    ['a bug of ours', new TypeError('x is undefined')],
    ['a ConsulError whose retries already ran out', new RetriesExhausted('list the sessions', 'gave up', { request, status: 500, body: 'No cluster leader' })],
  ];
  for (const [label, error] of permanent) {
    it(`never retries ${label}`, () => {
      expect(transientCause(error)).to.equal(undefined);
    });
  }

  it('unwraps nested RPC wrappers to the reason', () => {
    expect(innerReason('rpc error making call: rpc error making call: No cluster leader\n')).to.equal('No cluster leader');
  });

  it('re-sends an unnamed create only when Consul certainly never applied it', () => {
    expect(certainlyNotApplied(transport('refused', 'ECONNREFUSED'))).to.be.a('string');
    expect(certainlyNotApplied(http(500, 'rpc error making call: No cluster leader'))).to.be.a('string');
    expect(certainlyNotApplied(http(503, 'x'))).to.be.a('string');
    expect(certainlyNotApplied(transport('timeout', 'ECONNABORTED'))).to.equal(undefined);
    expect(certainlyNotApplied(transport('reset', 'ECONNRESET'))).to.equal(undefined);
    expect(certainlyNotApplied(transport('cut-short', 'ERR_BAD_RESPONSE'))).to.equal(undefined);
    expect(certainlyNotApplied(http(500, 'rpc error making call: stream closed'))).to.equal(undefined);
    expect(certainlyNotApplied(http(500, "Missing check 'x' registration"))).to.equal(undefined);
  });
});

describe('retry policy: full-jitter backoff', () => {
  it('grows from the base and is capped', () => {
    const top = () => 0.999999;
    expect(backoffMs(1, top)).to.equal(BASE_DELAY_MS - 1);
    expect(backoffMs(2, top)).to.equal(2 * BASE_DELAY_MS - 1);
    expect(backoffMs(3, top)).to.equal(4 * BASE_DELAY_MS - 1);
    expect(backoffMs(4, top)).to.equal(MAX_DELAY_MS - 1);
    expect(backoffMs(60, top)).to.equal(MAX_DELAY_MS - 1);
  });

  it('draws uniformly from zero up to the ceiling', () => {
    expect(backoffMs(5, () => 0)).to.equal(0);
    expect(backoffMs(5, () => 0.5)).to.equal(MAX_DELAY_MS / 2);
  });
});

describe('retry policy: the budget, on fake timers', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  const fixedRandom = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), random: () => 0.5 };

  it('retries a transient failure and succeeds, reporting it as a warning', async () => {
    const budget = new RetryBudget(15_000, fixedRandom);
    const attempt = sinon.stub();
    attempt.onCall(0).rejects(http(500, 'No cluster leader'));
    attempt.onCall(1).rejects(transport('refused', 'ECONNREFUSED'));
    attempt.onCall(2).resolves('ok');
    const done = budget.run('list the sessions', attempt);
    await clock.runAllAsync();
    expect(await done).to.equal('ok');
    expect(attempt.callCount).to.equal(3);
    // Waits of 125 ms and 250 ms (half of 250 and of 500 with random() = 0.5).
    expect(Date.now() - 1_000_000).to.equal(375);
    expect(attempt.secondCall.args[0]).to.include({ attempt: 2 });
    expect(budget.summary()).to.deep.equal([
      "Consul was unavailable (connection refused (ECONNREFUSED)); 'list the sessions' succeeded on attempt 3 after 0.4 s.",
    ]);
  });

  it('never retries a permanent failure', async () => {
    const budget = new RetryBudget(15_000, fixedRandom);
    const error = http(500, "rpc error making call: Missing check 'x' registration");
    const attempt = sinon.stub().rejects(error);
    const outcome = budget.run('list the sessions', attempt).catch((e: unknown) => e);
    await clock.runAllAsync();
    expect(await outcome).to.equal(error);
    expect(attempt.callCount).to.equal(1);
  });

  it('retry_timeout 0 turns retries off', async () => {
    const budget = new RetryBudget(0, fixedRandom);
    const error = http(500, 'No cluster leader');
    const attempt = sinon.stub().rejects(error);
    const outcome = budget.run('list the sessions', attempt).catch((e: unknown) => e);
    await clock.runAllAsync();
    expect(await outcome).to.equal(error);
    expect(attempt.callCount).to.equal(1);
  });

  it('gives up when the budget is spent, never waiting past it, and says what, how often, how long, and why', async () => {
    const budget = new RetryBudget(15_000, { ...fixedRandom, random: () => 0.999 });
    const attempt = sinon.stub().rejects(http(500, 'No cluster leader'));
    const outcome = budget.run('list the sessions', attempt).catch((e: unknown) => e);
    await clock.runAllAsync();
    const error = (await outcome) as RetriesExhausted;
    expect(error).to.be.instanceOf(RetriesExhausted);
    expect(Date.now() - 1_000_000, 'stopped exactly at the budget').to.equal(15_000);
    // Waits 249, 499, 999 (1747 ms), then six of 1998 ms (attempt 10 starts at 13,735 ms), then only the
    // 1,265 ms left: no attempt starts at or after the deadline.
    expect(attempt.callCount).to.equal(10);
    expect(error.message).to.equal(
      'Could not list the sessions: gave up after 10 attempts over 15.0 s (retry_timeout is 15 s): No cluster leader. ' +
        'Last error: Consul answered 500: No cluster leader',
    );
    expect(error.status).to.equal(500);
    expect(error.body).to.equal('No cluster leader');
    expect(transientCause(error), 'an outer loop does not retry it again').to.equal(undefined);
  });

  it('counts the budget from the start of the first failed attempt, including a slow one', async () => {
    const budget = new RetryBudget(15_000, fixedRandom);
    const attempt = sinon.stub().callsFake(async () => {
      await new Promise((r) => setTimeout(r, 10_000));
      throw transport('timeout', 'ECONNABORTED');
    });
    const outcome = budget.run('list the sessions', attempt).catch((e: unknown) => e);
    await clock.runAllAsync();
    expect(await outcome).to.be.instanceOf(RetriesExhausted);
    expect(attempt.callCount).to.equal(2);
    expect(Date.now() - 1_000_000).to.equal(20_125);
  });

  it('tells each attempt how much of the budget is left, and shares one budget between operations', async () => {
    const budget = new RetryBudget(15_000, fixedRandom);
    const seen: Array<number | undefined> = [];
    const first = sinon.stub().callsFake(({ remainingMs }: { remainingMs?: number }) => {
      seen.push(remainingMs);
      if (seen.length < 2) return Promise.reject(http(503, 'x'));
      return Promise.resolve(1);
    });
    const done = budget.run('read session a', first);
    await clock.runAllAsync();
    await done;
    expect(seen).to.deep.equal([undefined, 15_000 - 125]);
    await clock.tickAsync(5_000);
    const second = sinon.stub().callsFake(({ remainingMs }: { remainingMs?: number }) => {
      seen.push(remainingMs);
      return Promise.resolve(2);
    });
    await budget.run('read session b', second);
    expect(seen[2]).to.equal(15_000 - 125 - 5_000);
  });
});
