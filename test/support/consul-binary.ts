/**
 * Finding the consul binary for tests (scripts/fetch-consul.sh; Debian bullseye's 1.8.7 by
 * default) and skipping suites that need it when it is unavailable.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root: the nearest ancestor holding scripts/fetch-consul.sh. */
function repoRoot(): string {
  const starts: string[] = [];
  if (process.env.CONSUL_SESSION_REPO) starts.push(process.env.CONSUL_SESSION_REPO);
  // __dirname exists when this file is loaded as CommonJS; not under native ESM.
  if (typeof __dirname !== 'undefined') starts.push(__dirname);
  starts.push(process.cwd());
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      if (fs.existsSync(path.join(dir, 'scripts', 'fetch-consul.sh'))) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    `cannot find scripts/fetch-consul.sh above ${starts.join(' or ')}; set CONSUL_SESSION_REPO`,
  );
}

let binaryCache: { path: string } | { error: Error } | undefined;

/**
 * Path of a usable consul binary: runs scripts/fetch-consul.sh once per process
 * (which honours $CONSUL_BIN, then PATH, then .cache/, then downloads).
 */
export function consulBinary(): string {
  if (binaryCache === undefined) {
    try {
      const script = path.join(repoRoot(), 'scripts', 'fetch-consul.sh');
      const res = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (res.error) throw res.error;
      const stderr = res.stderr.trim();
      if (res.status !== 0) {
        throw new Error(
          `scripts/fetch-consul.sh failed (exit ${String(res.status ?? res.signal)}):\n${stderr}`,
        );
      }
      const out = res.stdout.trim().split('\n').pop() ?? '';
      if (!out || !path.isAbsolute(out)) {
        throw new Error(`scripts/fetch-consul.sh printed no absolute path (stdout: ${JSON.stringify(res.stdout)})\n${stderr}`);
      }
      if (stderr) process.stderr.write(`${stderr}\n`);
      binaryCache = { path: out };
    } catch (err) {
      binaryCache = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  if ('error' in binaryCache) throw binaryCache.error;
  return binaryCache.path;
}

/**
 * For mocha `before` hooks (use a `function`, not an arrow):
 *   before(function () { consulOrSkip(this); });
 * Returns the binary path; if it cannot be obtained, skips the suite with the
 * reason — except when CI === 'true', where it throws (a skip in CI is a failure).
 */
export function consulOrSkip(ctx: Mocha.Context): string {
  let reason: string;
  try {
    return consulBinary();
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (process.env.CI === 'true') {
    throw new Error(`consul is required in CI (CI=true) but is unavailable: ${reason}`);
  }
  console.warn(
    `[consul] skipping: no consul binary. Run scripts/fetch-consul.sh or set CONSUL_BIN.\n` +
      reason.replace(/^/gm, '    '),
  );
  ctx.skip();
}
