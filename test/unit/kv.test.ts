// The shared KV API against a tiny local server answering as Consul 1.8.7 does (pretty-printed, Flags as
// bare 64-bit numbers): exact flags both ways, the query of every write, recursive and blocking reads.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsulClient } from '../../src/shared/consul';
import { KvApi, normalizeFlags, parseEntries } from '../../src/shared/kv';
import { LOCK_FLAGS, SEMAPHORE_FLAGS, flagsAllow, flagsOwner } from '../../src/shared/lock-protocol';

interface Seen {
  method: string;
  url: string;
  body: string;
}

const entry = (key: string, flags: string, extra = '') =>
  `{\n        "LockIndex": 1,\n        "Key": ${JSON.stringify(key)},\n        "Flags": ${flags},\n        "Value": "dg==",\n        "CreateIndex": 5,\n        "ModifyIndex": 9${extra}\n    }`;

describe('shared KV API', () => {
  let server: http.Server;
  let answer: { status: number; body: string; index?: string } = { status: 200, body: 'true' };
  const seen: Seen[] = [];
  let kv: KvApi;
  let client: ConsulClient;

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.writeHead(answer.status, { 'X-Consul-Index': answer.index ?? '42', 'Content-Type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    client = new ConsulClient({ baseUrl: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, scheme: 'http', validateCerts: true, timeoutMs: 2_000 }, 'consul_lock');
    kv = new KvApi(client, 'dc9');
  });
  beforeEach(() => {
    seen.length = 0;
  });
  after(() => {
    client.close();
    return new Promise<void>((done) => server.close(() => done()));
  });

  it('reads flags above 2^53 exactly, as text, where JSON.parse would round them', async () => {
    answer = { status: 200, body: `[\n    ${entry('s/.lock', SEMAPHORE_FLAGS, `,\n        "Session": "abc"`)}\n]` };
    const { entry: got, index } = await kv.read('s/.lock');
    expect(got).to.deep.equal({ key: 's/.lock', value: 'v', session: 'abc', flags: SEMAPHORE_FLAGS, lockIndex: 1, createIndex: 5, modifyIndex: 9 });
    expect(index).to.equal(42);
    expect(String(JSON.parse(SEMAPHORE_FLAGS))).to.not.equal(SEMAPHORE_FLAGS);
    expect(seen[0]?.url).to.equal('/v1/kv/s/.lock?dc=dc9');
  });

  it('is not fooled by a key whose text looks like a Flags member', () => {
    const key = 'x","Flags":7,"y';
    const parsed = parseEntries(`[${entry(key, LOCK_FLAGS)}]`);
    expect(parsed?.[0]?.Key).to.equal(key);
    expect(parsed?.[0]?.Flags).to.equal(LOCK_FLAGS);
  });

  it('a missing key is no entry, with the index to block on', async () => {
    answer = { status: 404, body: '', index: '77' };
    expect(await kv.read('none', { index: 70, waitMs: 2_000 })).to.deep.equal({ entry: undefined, index: 77 });
    expect(seen[0]?.url).to.equal('/v1/kv/none?dc=dc9&index=70&wait=2s');
  });

  it('lists a prefix recursively, blocking on its index', async () => {
    answer = { status: 200, body: `[${entry('p/.lock', SEMAPHORE_FLAGS)},${entry('p/a', '0')}]` };
    const listed = await kv.list('p/', { index: 3, waitMs: 1_500 });
    expect(listed.entries.map((e) => [e.key, e.flags])).to.deep.equal([['p/.lock', SEMAPHORE_FLAGS], ['p/a', '0']]);
    expect(seen[0]?.url).to.equal('/v1/kv/p/?dc=dc9&recurse&index=3&wait=2s');
  });

  it('refuses an answer that is not a list of entries', async () => {
    answer = { status: 200, body: '{"Key":"k"}' };
    const error = await kv.read('k').catch((e: unknown) => e);
    expect((error as Error).message).to.equal("Could not read the key k: Consul's answer is not a list of KV entries.");
  });

  it('sends acquire, release, CAS put and CAS delete with the exact flags and the value as the body', async () => {
    answer = { status: 200, body: 'true' };
    expect(await kv.acquire('a b/k', 'sess', 'hold', { flags: LOCK_FLAGS })).to.equal(true);
    expect(await kv.release('a b/k', 'sess', 'hold', { flags: LOCK_FLAGS })).to.equal(true);
    expect(await kv.casPut('p/.lock', '{"Limit":2}', 0, { flags: SEMAPHORE_FLAGS })).to.equal(true);
    answer = { status: 200, body: 'false' };
    expect(await kv.delete('p/.lock', 12)).to.equal(false);
    expect(await kv.acquire('k', 'sess', '')).to.equal(false);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).to.deep.equal([
      `PUT /v1/kv/a%20b/k?dc=dc9&acquire=sess&flags=${LOCK_FLAGS} hold`,
      `PUT /v1/kv/a%20b/k?dc=dc9&release=sess&flags=${LOCK_FLAGS} hold`,
      `PUT /v1/kv/p/.lock?dc=dc9&cas=0&flags=${SEMAPHORE_FLAGS} {"Limit":2}`,
      'DELETE /v1/kv/p/.lock?dc=dc9&cas=12 ',
      'PUT /v1/kv/k?dc=dc9&acquire=sess&flags=0 ',
    ]);
  });

  it('names the module in its User-Agent', async () => {
    let agentHeader = '';
    const probe = http.createServer((req, res) => {
      agentHeader = String(req.headers['user-agent']);
      res.end('true');
    });
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as AddressInfo;
    const own = new ConsulClient({ baseUrl: '', host: '127.0.0.1', port, scheme: 'http', validateCerts: true, timeoutMs: 2_000 }, 'consul_semaphore');
    await new KvApi(own).delete('k');
    own.close();
    await new Promise<void>((done) => probe.close(() => done()));
    expect(agentHeader).to.equal('consul_semaphore (Ansible module)');
  });

  it('says what flags mean, and which keys a lock may adopt', () => {
    expect(normalizeFlags('0003')).to.equal('3');
    expect(flagsOwner(SEMAPHORE_FLAGS)).to.contain("a semaphore's key").and.contain('consul lock -n');
    expect(flagsOwner('5')).to.equal('a key with flags 5, which belongs to another tool');
    expect([flagsAllow(LOCK_FLAGS, LOCK_FLAGS), flagsAllow('0', LOCK_FLAGS), flagsAllow(SEMAPHORE_FLAGS, LOCK_FLAGS)]).to.deep.equal([true, true, false]);
  });
});
