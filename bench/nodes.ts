/**
 * The Node.js binaries the bench measures. Node's own start-up differs by major version (Node 22
 * starts with less work than 20), so every figure is per binary. A `--node` value is a path, or a major
 * version that scripts/fetch-node.sh turns into a path (it prints one, or fails saying why). Without
 * any, the majors users run most (DEFAULT_MAJORS) are fetched that way, each one that can be had.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/support/ansible';

export interface NodeBinary {
  path: string;
  /** `node --version`, e.g. v22.23.3 */
  version: string;
}

const FETCH_NODE = path.join(REPO_ROOT, 'scripts', 'fetch-node.sh');
export const DEFAULT_MAJORS = ['20', '22'];

function versionOf(bin: string): string {
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const version = (res.stdout ?? '').trim();
  if (res.status !== 0 || !/^v\d+\./.test(version)) throw new Error(`${bin} is not a working Node.js binary (${res.error?.message ?? res.stderr})`);
  return version;
}

function pathOf(spec: string): string {
  if (!/^\d+$/.test(spec)) return path.resolve(spec);
  if (!fs.existsSync(FETCH_NODE)) {
    throw new Error(`--node ${spec}: scripts/fetch-node.sh is not in this checkout; give the path of a Node.js ${spec} binary instead`);
  }
  const res = spawnSync('bash', [FETCH_NODE, spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const found = (res.stdout ?? '').trim().split('\n').pop() ?? '';
  if (res.status !== 0 || found === '') throw new Error(`scripts/fetch-node.sh ${spec} found no Node.js ${spec}`);
  return found;
}

/** DEFAULT_MAJORS that fetch-node.sh can provide (it reuses the machine's node for its own major). */
function defaultPaths(log: (line: string) => void): string[] {
  if (!fs.existsSync(FETCH_NODE)) return [process.execPath];
  const found: string[] = [];
  for (const major of DEFAULT_MAJORS) {
    try {
      found.push(pathOf(major));
    } catch (error) {
      log(`Node.js ${major} skipped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return found.length ? found : [process.execPath];
}

/** The binaries to measure, in the order given; DEFAULT_MAJORS when none is given. */
export function resolveNodes(specs: string[], log: (line: string) => void): NodeBinary[] {
  const paths = specs.length ? specs.map(pathOf) : defaultPaths(log);
  return [...new Set(paths)].map((bin) => ({ path: bin, version: versionOf(bin) }));
}
