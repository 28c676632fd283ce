// Every way a connection can die under a request, produced for real: a node:net server that misbehaves
// in one way per test, the module's HTTP client (axios with its node:http adapter, http-adapter.ts) in
// front of it. What the adapter and Node raise is then classified by transport-errors.ts and judged by
// the retry policy.
import { expect } from 'chai';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { ConsulClient } from '../../src/shared/consul';
import { createAgent, nodeHttpAdapter } from '../../src/shared/http-adapter';
import { ConsulError } from '../../src/shared/errors';
import type { ConnectionSettings } from '../../src/shared/connection';
import { certainlyNotApplied, transientCause } from '../../src/shared/retry';
import { describeTransportError, type TransportFailure } from '../../src/shared/transport-errors';

/** What the server does with request number `index` (from 0) on one connection. */
type Misbehaviour = (socket: net.Socket, index: number) => void;

const BODY = JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ ID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, Name: 'x' })));
const HEAD = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n`;
const answer = (socket: net.Socket) => socket.write(HEAD + BODY);

/** Calls `act` once per complete request (head plus Content-Length body), as an HTTP/1.1 server would. */
function serve(act: Misbehaviour): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let index = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.subarray(end + 4 + length);
        act(socket, index++);
      }
    });
  });
}

async function listen(server: net.Server): Promise<ConnectionSettings> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, scheme: 'http', validateCerts: true, timeoutMs: 400 };
}

/** Runs `requests` against a server that misbehaves as `act` says; returns the error of the last request. */
async function failureFrom(act: Misbehaviour, requests: (client: ConsulClient) => Promise<unknown>): Promise<ConsulError> {
  const server = serve(act);
  const connection = await listen(server);
  const client = new ConsulClient(connection);
  try {
    await requests(client);
  } catch (error) {
    expect(error).to.be.instanceOf(ConsulError);
    return error as ConsulError;
  } finally {
    client.close();
    server.close();
  }
  throw new Error('expected the request to fail');
}

const list = (client: ConsulClient) => client.get('/v1/session/list', 'list the sessions');
const create = (client: ConsulClient) => client.put('/v1/session/create', 'create session x', undefined, { Name: 'x' });

interface Shape {
  name: string;
  act: Misbehaviour;
  requests?: (client: ConsulClient) => Promise<unknown>;
  failure: TransportFailure;
}

const SHAPES: Shape[] = [
  { name: 'a reset (RST) as the request arrives', act: (s) => s.resetAndDestroy(), failure: 'reset' },
  { name: 'a close (FIN) as the request arrives', act: (s) => s.end(), failure: 'reset' },
  {
    name: 'a kept-alive connection closed as the next request arrives',
    act: (s, i) => (i === 0 ? answer(s) : s.destroy()),
    requests: async (c) => {
      await list(c);
      await list(c);
    },
    failure: 'reset',
  },
  { name: 'a reset once a create was read whole (it may have been applied)', act: (s) => s.resetAndDestroy(), requests: create, failure: 'reset' },
  { name: 'half of the answer head, then a close', act: (s) => s.end(HEAD.slice(0, 20)), failure: 'reset' },
  { name: 'the head and half the body, then a close', act: (s) => s.end(HEAD + BODY.slice(0, 300)), failure: 'cut-short' },
  {
    // Node reports this RST as a socket error (read ECONNRESET), not as the answer's: the adapter ties
    // it to the answer that had begun (axios's own adapter did not, and this read as a plain reset).
    name: 'the head and half the body, then a reset',
    act: (s) => {
      s.write(HEAD + BODY.slice(0, 300));
      setTimeout(() => s.resetAndDestroy(), 20);
    },
    failure: 'cut-short',
  },
  { name: 'half the body of a create\'s answer, then a close', act: (s) => s.end(HEAD + BODY.slice(0, 300)), requests: create, failure: 'cut-short' },
  { name: 'no answer past the timeout', act: () => undefined, failure: 'timeout' },
  { name: 'the head, then nothing past the timeout', act: (s) => s.write(HEAD), failure: 'timeout' },
  {
    name: 'a body trickled a byte at a time, never done within the timeout',
    act: (s) => {
      s.write(HEAD);
      const trickle = setInterval(() => (s.writable ? s.write(' ') : clearInterval(trickle)), 50);
      s.on('close', () => clearInterval(trickle));
    },
    failure: 'timeout',
  },
];

describe('transport failures, from real errors: every way a connection can die is transient', () => {
  for (const shape of SHAPES) {
    it(`${shape.name}: ${shape.failure}, retried, and not proof that a create did not happen`, async () => {
      const error = await failureFrom(shape.act, shape.requests ?? list);
      expect(error.transport, error.message).to.equal(shape.failure);
      expect(error.status).to.equal(undefined);
      expect(error.message).to.match(/^Could not (list the sessions|create session x): \S/);
      expect(transientCause(error), error.message).to.be.a('string');
      expect(certainlyNotApplied(error), error.message).to.equal(undefined);
    });
  }

  it('connection refused: transient, and the only one that proves a create never reached Consul', async () => {
    const server = net.createServer();
    const connection = await listen(server);
    await new Promise<void>((done) => server.close(() => done()));
    const client = new ConsulClient(connection);
    const error = await create(client).then(
      () => expect.fail('expected a refusal'),
      (e: unknown) => e as ConsulError,
    );
    client.close();
    expect(error.transport).to.equal('refused');
    expect(transientCause(error)).to.equal('connection refused (ECONNREFUSED)');
    expect(certainlyNotApplied(error)).to.be.a('string');
  });

  it('an answer cut off half-way is retried within retry_timeout and the run goes on (issue 9, bug 1)', async () => {
    let served = 0;
    // Each attempt comes on a new connection (the cut one is closed): count answers across connections.
    const server = serve((s) => (served++ === 0 ? s.end(HEAD + BODY.slice(0, 300)) : answer(s)));
    const connection = await listen(server);
    const client = new ConsulClient({ ...connection, retryTimeoutMs: 5_000 });
    try {
      const { data } = await list(client);
      expect(data).to.have.length(40);
      const [warning, ...more] = client.retry.summary();
      expect(more).to.deep.equal([]);
      expect(warning).to.match(/^Consul was unavailable \(answer cut off \(ECONNRESET\)\); 'list the sessions' succeeded on attempt 2 after [\d.]+ s\.$/);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('transport failures, from real errors: what waiting does not heal stays permanent', () => {
  it('an answer over the size limit (ERR_BAD_RESPONSE, as for an answer cut off, but with a response)', async () => {
    const server = serve(answer);
    const connection = await listen(server);
    // The module's limit is 64 MiB; the same adapter with a small one.
    const agent = createAgent('http', undefined);
    const client = axios.create({ adapter: nodeHttpAdapter({ ...connection, agent }), maxContentLength: 100 });
    const error = await client.get('/v1/session/list').then(
      () => expect.fail('expected the size limit to refuse the answer'),
      (e: unknown) => e,
    );
    agent.destroy();
    server.close();
    expect((error as { code?: string }).code).to.equal('ERR_BAD_RESPONSE');
    const described = describeTransportError(error, connection);
    expect(described.failure).to.equal('permanent');
    expect(described.message).to.contain('larger than the limit');
  });

  it('an answer that is not HTTP', async () => {
    const error = await failureFrom((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'), list);
    expect(error.transport).to.equal('permanent');
    expect(error.message).to.contain('is not HTTP');
    expect(transientCause(error)).to.equal(undefined);
  });
});
