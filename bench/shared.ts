/**
 * What the benchmark's parts share: the options `npm run bench` parsed (options.ts), and how a part
 * turns its samples into a summary and a verdict.
 */
import { median, ratio, summarize, type Samples, type Summary } from './harness';
import type { Verdict } from './report';

export type { Options } from './options';

export const stat = (samples: Map<string, Samples>, id: string): Summary | undefined => {
  const s = samples.get(id);
  return s && s.ms.length > 0 ? summarize(s.ms) : undefined;
};

export const verdict = (pass: boolean): Verdict => (pass ? 'PASS' : 'MISS');

/**
 * a ÷ b as the median of the per-round ratios. interleave() runs every job once per round, back to
 * back, so round i of `a` and of `b` met the same load on this shared machine; the median of those
 * ratios is steadier than the ratio of two medians taken from different moments.
 */
export const pairedRatio = (samples: Map<string, Samples>, a: string, b: string): number | undefined => {
  const x = samples.get(a)?.ms ?? [];
  const y = samples.get(b)?.ms ?? [];
  if (x.length === 0 || x.length !== y.length) return undefined;
  return ratio(median(x.map((v, i) => v / y[i]!)), 1);
};
