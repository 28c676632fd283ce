/**
 * What the benchmark's parts share: the options `npm run bench` parsed (options.ts), and how a part
 * turns its samples into a summary and a verdict.
 */
import { summarize, type Samples, type Summary } from './harness';
import type { Verdict } from './report';

export type { Options } from './options';

export const stat = (samples: Map<string, Samples>, id: string): Summary | undefined => {
  const s = samples.get(id);
  return s && s.ms.length > 0 ? summarize(s.ms) : undefined;
};

export const verdict = (pass: boolean): Verdict => (pass ? 'PASS' : 'MISS');
