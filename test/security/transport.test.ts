// The HTTP client's guarantees, checked against a recording server that sees every byte the built
// module sends: only session endpoints, no redirect followed, no proxy, bodies with Content-Length, the token
// masked even when the server echoes it, answers and args files above the limits refused, and the
// timeout on every request (also when the server trickles its answer).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ARGS_BYTES } from '../../src/shared/args';
import { MAX_RESPONSE_BYTES } from '../../src/shared/consul';
import { OPTIONS } from '../../src/consul_session/generated/spec';
import { MASK } from '../../src/shared/result';
import { MODULE_PATH, moduleNode, parseSingleJson, runFail, runModule, runOk } from '../support/module';
import { forbiddenRequest, startRecorder, type Recorder } from '../support/recorder';

const TOKEN = '5f0c1d8e-3b7a-4c2e-9d41-6a8f2e7b9c10';
/** One attempt per request, where the module retries transient failures, so a timeout is reported at once. */
const NO_RETRY = 'retry_timeout' in OPTIONS ? { retry_timeout: 0 } : {};

describe('security: what the module sends over HTTP (recording server)', function () {
  this.timeout(30_000);
  let rec: Recorder;
  let other: Recorder;
  const at = () => ({ host: '127.0.0.1', port: rec.port, timeout: 2 });

  before(async () => {
    rec = await startRecorder();
    other = await startRecorder();
  });
  beforeEach(() => {
    rec.requests.length = 0;
    other.requests.length = 0;
    rec.respond = () => undefined;
  });
  after(async () => {
    await rec.close();
    await other.close();
  });

  it('sends the create body with Content-Length, not chunked, and the token only in X-Consul-Token', async () => {
    const result = await runOk({ ...at(), name: 'lock', ttl: '30s', token: TOKEN });
    expect(result.changed).to.equal(true);
    const create = rec.requests.find((r) => r.path === '/v1/session/create');
    expect(create, 'a create request').to.not.equal(undefined);
    expect(create?.headers['transfer-encoding']).to.equal(undefined);
    expect(create?.headers['content-length']).to.equal(String(Buffer.byteLength(create?.body ?? '')));
    expect(JSON.parse(create?.body ?? '')).to.include({ Name: 'lock', Node: 'recorder-node', TTL: '30s' });
    for (const r of rec.requests) {
      expect(forbiddenRequest(r, rec.port)).to.equal(undefined);
      expect(r.headers['x-consul-token']).to.equal(TOKEN);
      expect(r.target).to.not.contain(TOKEN);
    }
    expect(JSON.stringify(result)).to.not.contain(TOKEN);
  });

  it('never follows a 301, neither to another path nor to another server', async () => {
    rec.respond = (req) =>
      req.path === '/v1/session/list' ? { status: 301, headers: { Location: '/v1/kv/x' } } : undefined;
    const msg = await runFail({ ...at(), state: 'list' });
    expect(msg).to.match(/redirect \(301 to \/v1\/kv\/x\), which is never followed/);
    expect(rec.requests.map((r) => r.target)).to.deep.equal(['/v1/session/list']);

    rec.requests.length = 0;
    rec.respond = () => ({ status: 307, headers: { Location: `http://127.0.0.1:${other.port}/v1/kv/x` } });
    expect(await runFail({ ...at(), state: 'list' })).to.match(/redirect \(307 to .*\), which is never followed/);
    expect(other.requests, 'the redirect target was never contacted').to.have.length(0);
  });

  it('never sends through a proxy named in the environment, whatever Node version honours it', async () => {
    const proxy = `http://127.0.0.1:${other.port}`;
    // NODE_USE_ENV_PROXY makes Node 22.21+ and 24 route its global agent through HTTP(S)_PROXY.
    const env = { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NODE_USE_ENV_PROXY: '1' };
    await runOk({ ...at(), state: 'list', token: TOKEN }, { env });
    expect(rec.requests.map((r) => r.target)).to.deep.equal(['/v1/session/list']);
    expect(other.requests, 'the proxy was never contacted').to.have.length(0);
  });

  it('masks the token when the server echoes it back, in msg and in the body it reports', async () => {
    rec.respond = () => ({ status: 403, body: `ACL not found: token "${TOKEN}" is unknown` });
    const run = await runModule({ ...at(), state: 'list', token: TOKEN });
    expect(run.result.failed).to.equal(true);
    expect(run.stdout).to.not.contain(TOKEN);
    expect(String(run.result.msg)).to.match(/^Could not list the sessions: Consul does not know the token it was sent \(Consul answered 403: /);
    expect(String(run.result.msg)).to.contain(`token "${MASK}" is unknown`);
    expect(String(run.result.body)).to.contain(MASK);
  });

  it('masks an echoed token from CONSUL_HTTP_TOKEN too, also when it comes back JSON- or URL-encoded', async () => {
    const token = 'tok "with" spaces/and\\slashes';
    rec.respond = () => ({
      status: 500,
      body: `${JSON.stringify({ error: `bad token ${token}` })} url=${encodeURIComponent(token)}`,
    });
    const run = await runModule({ ...at(), state: 'list' }, { env: { CONSUL_HTTP_TOKEN: token } });
    expect(run.result.failed).to.equal(true);
    expect(rec.requests[0]?.headers['x-consul-token']).to.equal(token);
    const escaped = JSON.stringify(token).slice(1, -1);
    for (const form of [token, escaped, JSON.stringify(escaped).slice(1, -1), encodeURIComponent(token)]) {
      expect(run.stdout).to.not.contain(form);
      expect(JSON.stringify(run.result)).to.not.contain(form);
    }
    expect(String(run.result.msg)).to.contain(MASK);
  });

  it('refuses an answer larger than the limit instead of reading it into memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    rec.respond = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const pump = (): void => {
        while (sent <= MAX_RESPONSE_BYTES + chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      res.socket?.on('error', () => undefined);
      pump();
      return 'handled';
    };
    const msg = await runFail({ ...at(), state: 'list', timeout: 20 });
    expect(msg).to.match(/^Could not list the sessions: the answer from 127\.0\.0\.1:\d+ is larger than the limit this module accepts/);
  });

  it('refuses an args file over 1 MiB before parsing it', async () => {
    const big = JSON.stringify({ state: 'list', name: 'x'.repeat(MAX_ARGS_BYTES) });
    const msg = await runFail({}, { rawArgs: big });
    expect(msg).to.match(new RegExp(`is ${Buffer.byteLength(big)} bytes; more than ${MAX_ARGS_BYTES} bytes is refused\\.$`));
    expect(rec.requests).to.have.length(0);
  });

  describe('timeout on every request', () => {
    // state=present without node makes four requests: agent/self, session/node, create, session/node.
    const steps = ['/v1/agent/self', '/v1/session/node/recorder-node', '/v1/session/create'];
    for (const [index, step] of steps.entries()) {
      it(`times out when the server never answers request ${index + 1} (${step})`, async () => {
        rec.respond = () => (rec.requests.length >= index + 1 ? 'handled' : undefined);
        const msg = await runFail({ ...at(), ...NO_RETRY, name: 'lock', timeout: 0.3 });
        expect(rec.requests[index]?.path).to.equal(step);
        expect(msg).to.match(/did not answer within 0\.3 s \(timeout\)\.$/);
      });
    }

    it('times out when the server sends headers and then trickles the body forever', async () => {
      const timers: NodeJS.Timeout[] = [];
      rec.respond = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('[');
        timers.push(setInterval(() => res.write(' '), 50));
        return 'handled';
      };
      const dir = mkdtempSync(join(tmpdir(), 'consul-session-trickle-'));
      try {
        writeFileSync(join(dir, 'args'), JSON.stringify({ ...at(), ...NO_RETRY, state: 'list', timeout: 0.5 }));
        const child = spawn(moduleNode(), [MODULE_PATH, join(dir, 'args')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        // A guard against hanging the suite, not a timing assertion: without a timeout the module never ends.
        const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await new Promise<number | null>((done) => child.on('close', done));
        clearTimeout(guard);
        expect(code, 'the module ended by itself').to.equal(1);
        const result = parseSingleJson(stdout);
        expect(String(result.msg)).to.match(/did not answer within 0\.5 s \(timeout\)\.$/);
      } finally {
        for (const t of timers) clearInterval(t);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
