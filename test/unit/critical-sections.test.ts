/** The log checks the lock tests rely on must catch what they claim to catch. */
import { expect } from 'chai';
import { expectAtMostInside, expectNoOverlap, mostInside, sections } from '../support/critical-sections.js';

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

  it('counts how many were inside at once, for a semaphore: touching sections do not overlap, three at once are caught', function () {
    const two = sections(['1.0 start a', '1.5 start b', '2.0 end a', '2.0 start c', '3.0 end b', '3.0 end c'].join('\n'));
    expect(mostInside(two).count).to.equal(2);
    expect(() => expectAtMostInside(two, 2)).not.to.throw();
    const three = sections(['1.0 start a', '1.5 start b', '1.999 start c', '2.0 end a', '3.0 end b', '3.0 end c'].join('\n'));
    expect(() => expectAtMostInside(three, 2)).to.throw(/a, b, c were inside at once at 1.999/);
  });
});
