/**
 * Critical sections as tests log them: one line "<epoch seconds> start|end <label>" when a section starts
 * and when it ends, appended by every process that holds a lock. Mutual exclusion is read from the log
 * (each section ends before the next one starts), never from how long anything took.
 */
import { expect } from 'chai';

export interface Section {
  label: string;
  start: number;
  end: number;
}

/** The sections of a log, in the order they started; fails unless each label has one start, then one end. */
export function sections(log: string): Section[] {
  const open = new Map<string, number>();
  const done: Section[] = [];
  for (const line of log.trim().split('\n')) {
    const match = /^(\d+\.\d+) (start|end) (.+)$/.exec(line);
    if (!match) throw new Error(`unexpected log line: ${line}`);
    const [, at, what, label] = match as unknown as [string, string, string, string];
    if (what === 'start') {
      expect(open.has(label) || done.some((s) => s.label === label), `${label} starts once`).to.equal(false);
      open.set(label, Number(at));
    } else {
      expect(open.has(label), `${label} ends after it started`).to.equal(true);
      done.push({ label, start: open.get(label)!, end: Number(at) });
      open.delete(label);
    }
  }
  expect([...open.keys()], 'every section ended').to.deep.equal([]);
  return done.sort((a, b) => a.start - b.start);
}

/** Mutual exclusion: each section ends before the next one starts. */
export function expectNoOverlap(list: Section[]): void {
  for (let i = 1; i < list.length; i++) {
    const [before, after] = [list[i - 1]!, list[i]!];
    expect(after.start, `${after.label} started before ${before.label} ended`).to.be.at.least(before.end);
  }
}

/** Polls `ready` every 200 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** The most sections inside at once; one that starts the instant another ends does not overlap it. */
export function mostInside(list: Section[]): { count: number; at: number; labels: string[] } {
  // Ends sort before starts at the same instant.
  const events = list.flatMap((s) => [{ at: s.start, delta: 1, label: s.label }, { at: s.end, delta: -1, label: s.label }]).sort((a, b) => a.at - b.at || a.delta - b.delta);
  const inside = new Set<string>();
  let best = { count: 0, at: 0, labels: [] as string[] };
  for (const event of events) {
    if (event.delta > 0) inside.add(event.label);
    else inside.delete(event.label);
    if (inside.size > best.count) best = { count: inside.size, at: event.at, labels: [...inside].sort() };
  }
  return best;
}

/** A semaphore of `limit`: never more than `limit` sections inside at once. */
export function expectAtMostInside(list: Section[], limit: number): void {
  const most = mostInside(list);
  expect(most.count, `${most.labels.join(', ')} were inside at once at ${most.at}`).to.be.at.most(limit);
}
