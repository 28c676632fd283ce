/**
 * The Node.js binaries the bench measures. Node's own start-up differs by major version (Node 22
 * starts with less work than 20), so every figure is per binary. A `--node` value is a path, or a major
 * version that scripts/fetch-node.sh turns into a path (it prints one, or fails saying why).
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

/** The binaries to measure, in the order given; the bench's own node when none is given. */
export function resolveNodes(specs: string[]): NodeBinary[] {
  const paths = specs.length ? specs.map(pathOf) : [process.execPath];
  return paths.map((bin) => ({ path: bin, version: versionOf(bin) }));
}
