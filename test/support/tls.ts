/**
 * A throw-away PKI for TLS tests, made with the openssl command in a temp dir (nothing is committed):
 * a CA, a server certificate for 127.0.0.1/localhost, and a client certificate, all signed by the CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second, unrelated CA: trusting it must not make the agent's certificate valid. */
  otherCaCert: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  const res = spawnSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${String(res.status)}):\n${res.stderr}`);
}

/** Why openssl cannot be used, or undefined when it can. */
export function opensslMissing(): string | undefined {
  const res = spawnSync('openssl', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) return res.error.message;
  if (res.status !== 0) return `openssl version exited ${String(res.status)}`;
  return undefined;
}

/**
 * For mocha `before` hooks: skips the suite with a clear message when openssl is missing, except in CI
 * (CI === 'true'), where a missing openssl fails the suite.
 */
export function opensslOrSkip(ctx: Mocha.Context): void {
  const missing = opensslMissing();
  if (missing === undefined) return;
  if (process.env.CI === 'true') throw new Error(`openssl is required in CI (CI=true) but is unavailable: ${missing}`);
  console.warn(`[tls] skipping: the openssl command is needed to make test certificates (${missing}). Install openssl.`);
  ctx.skip();
}

function signed(dir: string, name: string, ca: string, ext: string): void {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '2', '-sha256', '-extfile', `${name}.ext`],
    dir,
  );
}

function selfSignedCa(dir: string, name: string): void {
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
      '-sha256', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'consul-session-pki-'));
  try {
    selfSignedCa(dir, 'ca');
    selfSignedCa(dir, 'other-ca');
    // Consul's own convention: server.<dc>.consul; the SAN for 127.0.0.1 is what the module checks.
    signed(dir, 'server', 'ca', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:server.dc1.consul',
      '',
    ].join('\n'));
    signed(dir, 'client', 'ca', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCaCert: join(dir, 'other-ca.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
