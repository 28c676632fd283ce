import { expect } from 'chai';
import { parseArgs } from '../../src/shared/args';
import { ModuleFailure } from '../../src/shared/errors';
import { toSettings, type Settings } from '../../src/consul_session/params';

const settingsOf = (params: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, flags: Record<string, unknown> = {}): Settings =>
  toSettings(parseArgs(JSON.stringify({ ...params, ...flags })), env);

function failureOf(params: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string {
  try {
    settingsOf(params, env);
  } catch (error) {
    expect(error).to.be.instanceOf(ModuleFailure);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(params)} to be refused`);
}

describe('parameters: conversion, defaults and validation', () => {
  it('applies the documented defaults', () => {
    const s = settingsOf({ name: 'a' });
    expect(s.state).to.equal('present');
    expect(s.session).to.include({ behavior: 'release', lockDelayNs: 15e9, ttlNs: undefined });
    expect(s.connection).to.include({ baseUrl: 'http://localhost:8500', validateCerts: true, timeoutMs: 10000 });
  });

  it('converts strings the way Ansible does', () => {
    const s = settingsOf({ name: 'a', port: '8501', validate_certs: 'no', checks: 'a,b', timeout: '2.5', scheme: 'https' });
    expect(s.connection.port).to.equal(8501);
    expect(s.connection.validateCerts).to.equal(false);
    expect(s.connection.timeoutMs).to.equal(2500);
    expect(s.session.checks).to.deep.equal(['a', 'b']);
  });

  for (const [given, ns] of [[20, 20e9], ['20', 20e9], ['20s', 20e9], ['1m', 60e9], ['500ms', 5e8], ['1m30s', 90e9], [0, 0]] as const) {
    it(`reads delay ${JSON.stringify(given)} as ${ns} ns`, () => {
      expect(settingsOf({ name: 'a', delay: given }).session.lockDelayNs).to.equal(ns);
    });
  }

  it('names an unsupported parameter the way Ansible does', () => {
    expect(failureOf({ foo: 1 })).to.match(
      /^Unsupported parameters for \(consul_session\) module: foo\. Supported parameters include: behavior, ca_path, .*validate_certs\.$/,
    );
  });

  it('reports a choice error with the choices and the value', () => {
    expect(failureOf({ state: 'bogus' })).to.equal('value of state must be one of: absent, info, list, node, present, renewed, got: bogus');
  });

  it('reports a failed int conversion', () => {
    expect(failureOf({ port: 'abc' })).to.match(/^argument 'port' is of type str and we were unable to convert to int: /);
  });

  it('reports required_if rules in Ansible wording', () => {
    expect(failureOf({ state: 'info' })).to.equal('state is info but all of the following are missing: id');
    expect(failureOf({ state: 'absent' })).to.equal('state is absent but any of the following are missing: id, name');
  });

  it('reports every problem at once', () => {
    const msg = failureOf({ state: 'bogus', port: 70000, ttl: '5s' });
    expect(msg).to.contain('value of state must be one of');
    expect(msg).to.contain('value of port must be at most 65535, got: 70000');
    expect(msg).to.contain('value of ttl must be at least 10 seconds, got: 5s');
  });

  it('refuses ids that are not UUIDs and node names that could leave the path', () => {
    expect(failureOf({ state: 'info', id: '../kv/secret' })).to.contain('value of id must be a session UUID');
    for (const node of ['a/../../kv/x', '..', '.', 'a\nb']) {
      expect(failureOf({ state: 'node', node })).to.contain('value of node must be a node name');
    }
  });

  it('takes name as the node for state=node, as the classic module did', () => {
    expect(settingsOf({ state: 'node', name: 'n1' }).node).to.equal('n1');
  });

  it('reads the consul CLI environment variables only for parameters not given', () => {
    const env = { CONSUL_HTTP_ADDR: 'https://10.1.2.3:8501', CONSUL_HTTP_TOKEN: 't0ken', CONSUL_HTTP_SSL_VERIFY: 'false' };
    const s = settingsOf({ name: 'a' }, env);
    expect(s.connection).to.include({ baseUrl: 'https://10.1.2.3:8501', token: 't0ken', validateCerts: false });
    expect(s.secrets).to.deep.equal(['t0ken']);
    expect(settingsOf({ name: 'a', port: 9000 }, env).connection.port).to.equal(9000);
    expect(settingsOf({ name: 'a' }, { CONSUL_HTTP_ADDR: '[::1]:9500' }).connection.baseUrl).to.equal('http://[::1]:9500');
    expect(failureOf({ name: 'a' }, { CONSUL_HTTP_ADDR: 'unix:///tmp/consul.sock' })).to.contain('unix://');
  });

  it('echoes the parameters under invocation with the token masked', () => {
    const s = settingsOf({ name: 'a', token: 'secret-token' });
    expect((s.invocation.module_args as Record<string, unknown>).token).to.equal('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER');
  });

  it('passes check and diff mode through from the _ansible_ keys', () => {
    const s = settingsOf({ name: 'a' }, {}, { _ansible_check_mode: true, _ansible_diff: true, _ansible_verbosity: 3, _ansible_foo: 'x' });
    expect(s.ansible).to.deep.equal({ checkMode: true, diff: true, noLog: false, verbosity: 3 });
  });

  it('warns when certificates are not verified and when present cannot be idempotent', () => {
    expect(settingsOf({ name: 'a', scheme: 'https', validate_certs: false }).warnings[0]).to.contain('not verified');
    expect(settingsOf({}).warnings[0]).to.contain('new session on every run');
  });

  it('accepts service checks as objects or k=v strings, and names a missing id', () => {
    const s = settingsOf({ name: 'a', service_checks: [{ id: 'c1' }, 'id=c2,namespace=ns'] });
    expect(s.session.serviceChecks).to.deep.equal([{ id: 'c1', namespace: '' }, { id: 'c2', namespace: 'ns' }]);
    expect(failureOf({ name: 'a', service_checks: [{ namespace: 'x' }] })).to.contain("missing required arguments: id found in 'service_checks'");
  });
});

describe('args file parsing', () => {
  it('accepts the ANSIBLE_MODULE_ARGS wrapper', () => {
    expect(parseArgs('{"ANSIBLE_MODULE_ARGS": {"state": "list"}}').params).to.deep.equal({ state: 'list' });
  });

  it('says what is wrong with JSON that is not an object', () => {
    expect(() => parseArgs('[1]')).to.throw(ModuleFailure, 'must hold a JSON object of parameters, not an array');
    expect(() => parseArgs('{nope')).to.throw(ModuleFailure, 'is not valid JSON');
  });

  it('keeps a __proto__ key as a key, so it is reported', () => {
    const args = parseArgs('{"__proto__": {"x": 1}}');
    expect(Object.keys(args.params)).to.deep.equal(['__proto__']);
    expect(() => toSettings(args, {})).to.throw(ModuleFailure, 'Unsupported parameters for (consul_session) module: __proto__');
  });
});
