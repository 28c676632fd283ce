// TLS and mutual TLS against real HTTPS-only Consul agents, with a throw-away CA made by openssl.
import { expect } from 'chai';
import { consulHttp, consulOrSkip, freePort, startDevAgent, type Agent } from '../support/consul';
import { runFail, runOk } from '../support/module';
import { makeTestPki, opensslOrSkip, type TestPki } from '../support/tls';

async function sessionNames(agent: Agent): Promise<string[]> {
  const res = await consulHttp(agent, 'GET', '/v1/session/list');
  expect(res.status).to.equal(200);
  return (res.body as Array<{ Name: string }>).map((s) => s.Name);
}

async function httpsAgent(pki: TestPki, extra: Record<string, unknown>, client: boolean): Promise<Agent> {
  const httpsPort = await freePort();
  return startDevAgent({
    configJson: {
      ports: { https: httpsPort },
      ca_file: pki.caCert,
      cert_file: pki.serverCert,
      key_file: pki.serverKey,
      verify_outgoing: false,
      ...extra,
    },
    tls: client ? { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } : { caFile: pki.caCert },
  });
}

describe('security: TLS against an HTTPS-only agent', function () {
  this.timeout(60_000);
  let pki: TestPki | undefined;
  let agent: Agent;
  const at = () => ({ host: '127.0.0.1', port: agent.httpsPort, scheme: 'https', timeout: 5 });

  before(async function () {
    opensslOrSkip(this);
    consulOrSkip(this);
    pki = makeTestPki();
    agent = await httpsAgent(pki, { verify_incoming: false }, false);
  });
  after(async () => {
    await agent?.stop();
    pki?.cleanup();
  });

  it('serves HTTPS only: the harness reaches it over https with the test CA', async () => {
    expect(agent.url).to.equal(`https://127.0.0.1:${agent.httpsPort}`);
    expect((await consulHttp(agent, 'GET', '/v1/status/leader')).status).to.equal(200);
  });

  it('refuses an unverifiable certificate by default, says how to fix it, and creates nothing', async () => {
    const msg = await runFail({ ...at(), name: 'tls-unverified' });
    expect(msg).to.match(/the TLS certificate of the Consul agent at 127\.0\.0\.1:\d+ could not be verified \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(msg).to.contain('Give the CA that signed it with ca_path (or CONSUL_CACERT)');
    expect(await sessionNames(agent)).to.not.include('tls-unverified');
  });

  it('refuses the certificate when ca_path is a different CA', async () => {
    const msg = await runFail({ ...at(), name: 'tls-other-ca', ca_path: pki?.otherCaCert });
    expect(msg).to.match(/could not be verified/);
    expect(await sessionNames(agent)).to.not.include('tls-other-ca');
  });

  it('works with ca_path, without a warning', async () => {
    const result = await runOk({ ...at(), name: 'tls-ca-path', ca_path: pki?.caCert });
    expect(result.changed).to.equal(true);
    expect(result.warnings).to.equal(undefined);
    expect(await sessionNames(agent)).to.include('tls-ca-path');
  });

  it('works with CONSUL_CACERT, and with CONSUL_HTTP_ADDR=https://… setting the scheme', async () => {
    const env = { CONSUL_CACERT: pki?.caCert };
    expect((await runOk({ ...at(), name: 'tls-env-ca' }, { env })).changed).to.equal(true);
    const addr = { CONSUL_HTTP_ADDR: `https://127.0.0.1:${agent.httpsPort}`, ...env };
    expect((await runOk({ name: 'tls-env-addr' }, { env: addr })).changed).to.equal(true);
    expect(await sessionNames(agent)).to.include.members(['tls-env-ca', 'tls-env-addr']);
  });

  it('works with validate_certs: false (or CONSUL_HTTP_SSL_VERIFY=false), with a warning', async () => {
    const warning = /^validate_certs is false: the TLS certificate of the Consul agent at 127\.0\.0\.1:\d+ is not verified\.$/;
    const result = await runOk({ ...at(), name: 'tls-insecure', validate_certs: false });
    expect(result.warnings).to.be.an('array').with.length(1);
    expect((result.warnings as string[])[0]).to.match(warning);
    const fromEnv = await runOk({ ...at(), state: 'list' }, { env: { CONSUL_HTTP_SSL_VERIFY: 'false' } });
    expect((fromEnv.warnings as string[])[0]).to.match(warning);
  });

  it('says to use https when scheme: http talks to the HTTPS port, rather than a parse error', async () => {
    const msg = await runFail({ ...at(), scheme: 'http', state: 'list' });
    expect(msg).to.match(/the agent at 127\.0\.0\.1:\d+ speaks HTTPS; set scheme: https \(and ca_path\)\.$/);
  });
});

describe('security: mutual TLS against an agent that verifies clients', function () {
  this.timeout(60_000);
  let pki: TestPki | undefined;
  let agent: Agent;
  const at = () => ({ host: '127.0.0.1', port: agent.httpsPort, scheme: 'https', ca_path: pki?.caCert, timeout: 5 });

  before(async function () {
    opensslOrSkip(this);
    consulOrSkip(this);
    pki = makeTestPki();
    agent = await httpsAgent(pki, { verify_incoming_https: true }, true);
  });
  after(async () => {
    await agent?.stop();
    pki?.cleanup();
  });

  it('fails clearly without client_cert and client_key, and creates nothing', async () => {
    const msg = await runFail({ ...at(), name: 'mtls-none' });
    expect(msg).to.match(/client certificate/);
    expect(msg).to.contain('give client_cert and client_key (or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY)');
    expect(await sessionNames(agent)).to.not.include('mtls-none');
  });

  it('works with client_cert and client_key', async () => {
    const result = await runOk({ ...at(), name: 'mtls-params', client_cert: pki?.clientCert, client_key: pki?.clientKey });
    expect(result.changed).to.equal(true);
    expect(await sessionNames(agent)).to.include('mtls-params');
  });

  it('works with CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY', async () => {
    const env = { CONSUL_CLIENT_CERT: pki?.clientCert, CONSUL_CLIENT_KEY: pki?.clientKey };
    expect((await runOk({ ...at(), name: 'mtls-env' }, { env })).changed).to.equal(true);
    expect(await sessionNames(agent)).to.include('mtls-env');
  });

  it('names the parameter when a client certificate file cannot be read', async () => {
    const msg = await runFail({ ...at(), state: 'list', client_cert: '/nonexistent/client.pem', client_key: pki?.clientKey });
    expect(msg).to.equal('client_cert /nonexistent/client.pem could not be read (ENOENT).');
  });
});
