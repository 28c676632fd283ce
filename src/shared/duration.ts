// Durations: Ansible users write `delay: 20` (seconds) or Go-style strings like Consul itself takes
// (`20s`, `1m30s`, `500ms`). Internally they are nanoseconds, as Consul stores them.

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// µ is written \u00b5: esbuild escapes non-ASCII text in strings but not in patterns, and one non-ASCII
// character makes Node decode the whole bundle from UTF-8 into a two-byte string before compiling it.
const DURATION = /^(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h)(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h))*$/;
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/g;
const SECONDS = /^\s*\d+(?:\.\d+)?\s*$/;

/** Parses seconds (number or numeric string) or a Go duration string into nanoseconds; undefined if neither. */
export function parseDurationNs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1e9) : undefined;
  if (typeof value !== 'string') return undefined;
  if (SECONDS.test(value)) return Math.round(Number(value) * 1e9);
  const text = value.trim();
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (NS_PER_UNIT[unit as string] ?? 0);
  return Math.round(total);
}

/** The shortest exact Go duration string for Consul: 20s, 1500ms, 7ns. */
export function formatDurationNs(ns: number): string {
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  if (ns % 1e3 === 0) return `${ns / 1e3}us`;
  return `${ns}ns`;
}

export const nsToSeconds = (ns: number): number => ns / 1e9;

/** Seconds for results, null for an unset duration (a session without TTL). */
export const secondsOrNull = (ns: number | undefined): number | null => (ns === undefined ? null : nsToSeconds(ns));
