// The HTTP client's error mapping, against a tiny local server that answers what each test needs.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsulClient } from '../../src/shared/consul';
import { ConsulError } from '../../src/shared/errors';
import type { ConnectionSettings } from '../../src/shared/connection';
import { describeTransportError } from '../../src/shared/transport-errors';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('ConsulClient error mapping', () => {
  let server: http.Server;
  let handler: Handler = (_req, res) => res.end('[]');
  let connection: ConnectionSettings;
  const paths: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      handler(req, res);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    connection = { baseUrl: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, scheme: 'http', validateCerts: true, timeoutMs: 300 };
  });

  after(() => new Promise<void>((done) => server.close(() => done())));

  async function failure(run: (client: ConsulClient) => Promise<unknown>): Promise<ConsulError> {
    const client = new ConsulClient(connection);
    try {
      await run(client);
    } catch (error) {
      expect(error).to.be.instanceOf(ConsulError);
      return error as ConsulError;
    } finally {
      client.close();
    }
    throw new Error('expected a ConsulError');
  }

  it('carries status, Consul\'s text and what was attempted', async () => {
    handler = (_req, res) => {
      res.statusCode = 500;
      res.end("Missing check 'nope' registration");
    };
    const error = await failure((c) => c.put('/v1/session/create', 'create session x', undefined, { Name: 'x' }));
    expect(error.status).to.equal(500);
    expect(error.body).to.equal("Missing check 'nope' registration");
    expect(error.message).to.equal("Could not create session x: Consul answered 500: Missing check 'nope' registration");
  });

  it('calls a 403 permission denied and points at the token', async () => {
    handler = (_req, res) => {
      res.statusCode = 403;
      res.end('Permission denied');
    };
    const error = await failure((c) => c.get('/v1/session/list', 'list the sessions'));
    expect(error.message).to.contain('Could not list the sessions: permission denied').and.to.contain('CONSUL_HTTP_TOKEN');
    // The rule comes from the request the client sent (shared/acl.ts), here a KV write with its key decoded.
    const write = await failure((c) => c.put('/v1/kv/locks/a%20b', 'write the key locks/a b', undefined, 'v', { rawBody: true }));
    expect(write.message).to.contain('needs the rule key "locks/a b" write');
  });

  it('never follows a redirect', async () => {
    paths.length = 0;
    handler = (req, res) => {
      if (req.url?.startsWith('/v1/kv/')) return res.end('"secret"');
      res.writeHead(301, { Location: '/v1/kv/x' }).end();
    };
    const error = await failure((c) => c.get('/v1/session/node/x', 'list the sessions of node x'));
    expect(error.message).to.contain('redirect (301 to /v1/kv/x), which is never followed');
    expect(paths).to.deep.equal(['/v1/session/node/x']);
  });

  it('refuses an answer that is not JSON', async () => {
    handler = (_req, res) => res.end('<html>proxy error</html>');
    const error = await failure((c) => c.get('/v1/session/list', 'list the sessions'));
    expect(error.message).to.contain('text that is not JSON: <html>proxy error</html>');
  });

  it('gives up after the timeout and says so', async () => {
    handler = () => undefined; // never answers
    const error = await failure((c) => c.get('/v1/session/list', 'list the sessions'));
    expect(error.message).to.contain('did not answer within 0.3 s (timeout)');
  });

  it('explains an HTTP request to an HTTPS port', async () => {
    handler = (_req, res) => {
      res.statusCode = 400;
      res.end('Client sent an HTTP request to an HTTPS server.');
    };
    const error = await failure((c) => c.get('/v1/session/list', 'list the sessions'));
    expect(error.message).to.contain('speaks HTTPS; set scheme: https');
  });

  it('maps TLS verification failures to a message naming ca_path', () => {
    const tls = { ...connection, scheme: 'https' as const };
    const described = describeTransportError(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), tls);
    expect(described.message).to.contain('could not be verified').and.to.contain('ca_path');
    expect(describeTransportError(new Error('write EPROTO ... wrong version number'), tls).message).to.contain('does not speak TLS');
  });
});
