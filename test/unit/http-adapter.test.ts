// The axios adapter's own guarantees, through axios itself (as ConsulClient uses it) against a tiny
// local server: only paths on the one origin, the answer-size limit enforced before and while
// reading, and an answer cut off mid-body reported with the response that began. The module-level proofs (redirects, proxy, Content-Length, the deadline) are in
// test/security/transport.test.ts.
import axios, { type AxiosInstance } from 'axios';
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent, nodeHttpAdapter } from '../../src/shared/http-adapter';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('nodeHttpAdapter (axios adapter over node:http)', () => {
  let server: http.Server;
  let handler: Handler;
  const seen: string[] = [];
  let client: AxiosInstance;
  const agent = createAgent('http', undefined);

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      handler(req, res);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const adapter = nodeHttpAdapter({ scheme: 'http', host: '127.0.0.1', port, agent });
    client = axios.create({ adapter, timeout: 2000, maxContentLength: 16, responseType: 'text', transformResponse: [] });
  });
  beforeEach(() => {
    seen.length = 0;
  });
  after(() => {
    agent.destroy();
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });

  const rejection = async (request: Promise<unknown>): Promise<{ code?: string; message: string }> => {
    try {
      await request;
    } catch (error) {
      return error as { code?: string; message: string };
    }
    throw new Error('expected the request to fail');
  };

  it('answers with the status, headers and text of the response', async () => {
    handler = (_req, res) => res.writeHead(404, { 'X-Consul-KnownLeader': 'true' }).end('not here');
    const response = await client.get<string>('/v1/session/list', { validateStatus: () => true });
    expect(response.status).to.equal(404);
    expect(response.data).to.equal('not here');
    expect(response.headers['x-consul-knownleader']).to.equal('true');
  });

  for (const url of ['http://127.0.0.1:9/v1/kv/x', '//127.0.0.1:9/v1/kv/x', 'v1/session/list']) {
    it(`refuses ${url}: only paths on its one origin are requested`, async () => {
      handler = (_req, res) => res.end('[]');
      const error = await rejection(client.get(url));
      expect(error.code).to.equal('ERR_BAD_REQUEST');
      expect(seen).to.deep.equal([]);
    });
  }

  for (const [how, headers] of [
    ['a declared length', { 'Content-Length': '12' }],
    ['a chunked answer', {}],
  ] as const) {
    it(`rejects ${how} cut off mid-body, with the response that began (Consul did handle the request)`, async () => {
      handler = (_req, res) => {
        res.writeHead(200, headers);
        res.write('[{"ID":');
        setTimeout(() => res.socket?.destroy(), 20);
      };
      const error = (await rejection(client.get('/v1/session/list'))) as { code?: string; response?: { status?: number } };
      expect(error.response?.status).to.equal(200);
      expect(error.code).to.be.oneOf(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']);
    });
  }

  it('rejects a connection closed before any answer without a response', async () => {
    handler = (req) => req.socket.destroy();
    const error = (await rejection(client.get('/v1/session/list'))) as { code?: string; response?: unknown };
    expect(error.response).to.equal(undefined);
    expect(error.code).to.equal('ECONNRESET');
  });

  it('refuses an answer whose Content-Length is over maxContentLength before reading it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write('['); // and never the rest: only the declared length can end this request in time
    };
    const error = await rejection(client.get('/v1/session/list'));
    expect(error.message).to.equal('maxContentLength size of 16 exceeded');
  });

  it('refuses a chunked answer once the bytes received pass maxContentLength', async () => {
    handler = (_req, res) => {
      res.write('["0123456789",');
      res.end('"0123456789"]');
    };
    const error = await rejection(client.get('/v1/session/list'));
    expect(error.message).to.equal('maxContentLength size of 16 exceeded');
  });
});
