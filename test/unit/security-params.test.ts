// Inputs the fuzz tests found to escape the URL or crash, pinned as plain examples.
import { expect } from 'chai';
import { parseArgs } from '../../src/shared/args';
import { toSettings } from '../../src/consul_session/params';
import { maskSecrets, MASK } from '../../src/shared/result';

const settingsOf = (params: Record<string, unknown>) => toSettings(parseArgs(JSON.stringify(params)), {});

describe('security: host, node and masking edge cases', () => {
  for (const host of ['127.0.0.1:1../kv/secret', '127.0.0.1:8500/v1/kv/x#', 'a/b', 'h?x=1', 'user@127.0.0.1', '[::1', '', 'a b', 'bücher.example/x', 'ä b']) {
    it(`refuses host ${JSON.stringify(host)} before any request`, () => {
      expect(() => settingsOf({ state: 'list', host })).to.throw(/^value of host must be a host name or an IP address/);
    });
  }

  for (const [host, baseUrl] of [
    ['localhost', 'http://localhost:8500'],
    ['consul.example.com', 'http://consul.example.com:8500'],
    ['10.0.0.1', 'http://10.0.0.1:8500'],
    ['::1', 'http://[::1]:8500'],
    ['[::1]', 'http://[::1]:8500'],
    // Names that are not ASCII take the Unicode pattern (connection.ts builds it only for them).
    ['bücher.example', 'http://bücher.example:8500'],
    ['例え.テスト', 'http://例え.テスト:8500'],
  ]) {
    it(`accepts host ${host}`, () => {
      expect(settingsOf({ state: 'list', host }).connection.baseUrl).to.equal(baseUrl);
    });
  }

  // Found by the fuzz test once requests went through our own adapter: Node refuses such header values.
  it('connects to and sends as Host the IDNA form of a host name that is not ASCII', () => {
    expect(settingsOf({ state: 'list', host: 'bücher.example' }).connection.address).to.equal('xn--bcher-kva.example');
    expect(settingsOf({ state: 'list', host: '127.0.0.1\ufb00' }).connection.address).to.equal('127.0.0.1ff');
    expect(settingsOf({ state: 'list', host: '::1' }).connection.address).to.equal('::1');
  });

  for (const token of ['tok\ud800en', 'tök', 'a\nb', '\u0000']) {
    it(`refuses the token ${JSON.stringify(token)}, which no HTTP header can carry, without showing it`, () => {
      expect(() => settingsOf({ state: 'list', token })).to.throw(/^value of token must be printable ASCII .* is not shown$/);
    });
  }

  for (const node of ['a\ud800', '\udc00b', 'a\ud800\ud800']) {
    it(`refuses the node name ${JSON.stringify(node)} with a lone surrogate, which cannot be put in a URL`, () => {
      expect(() => settingsOf({ state: 'node', node })).to.throw(/^value of node must be valid Unicode text/);
    });
  }

  it('accepts a node name with a character outside the BMP (a surrogate pair)', () => {
    expect(settingsOf({ state: 'node', node: 'node-😀' }).node).to.equal('node-😀');
  });

  it('masks a secret that cannot be percent-encoded instead of throwing', () => {
    expect(maskSecrets({ msg: 'x \ud800tok y' }, ['\ud800tok'])).to.deep.equal({ msg: `x ${MASK} y` });
  });

  it('masks values, never keys: a one-letter token cannot turn a failure into a success', () => {
    const masked = maskSecrets({ failed: true, changed: false, msg: 'state is info' }, ['a']);
    expect(masked).to.deep.equal({ failed: true, changed: false, msg: `st${MASK}te is info` });
  });
});
