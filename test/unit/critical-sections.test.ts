/** The log checks the lock tests rely on must catch what they claim to catch. */
import { expect } from 'chai';
import { expectNoOverlap, sections } from '../support/critical-sections.js';

describe('critical-section logs (test support)', function () {
  it('orders sections by their start and accepts one that starts the instant the previous ended', function () {
    const log = ['10.5 start b', '11.0 end b', '9.0 start a', '10.5 end a'].join('\n');
    const list = sections(log);
    expect(list.map((s) => s.label)).to.deep.equal(['a', 'b']);
    expect(() => expectNoOverlap(list)).not.to.throw();
  });

  it('catches two sections that overlap, even by a millisecond', function () {
    const list = sections(['1.000 start a', '1.001 start b', '2.000 end a', '3.000 end b'].join('\n'));
    expect(() => expectNoOverlap(list)).to.throw(/b started before a ended/);
    expect(() => expectNoOverlap(sections('1.0 start a\n5.0 end a\n4.999 start b\n6.0 end b'))).to.throw(/b started before a ended/);
  });

  it('refuses a log with a section that never ended, ended twice, started twice or a stray line', function () {
    expect(() => sections('1.0 start a')).to.throw(/every section ended/);
    expect(() => sections('1.0 start a\n2.0 end a\n3.0 end a')).to.throw(/a ends after it started/);
    expect(() => sections('1.0 start a\n2.0 end a\n3.0 start a\n4.0 end a')).to.throw(/a starts once/);
    expect(() => sections('1.0 start a\noops\n2.0 end a')).to.throw(/unexpected log line: oops/);
  });
});
