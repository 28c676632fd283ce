/**
 * The builds under test: this checkout's dist/, and optionally a baseline (`--baseline REV` takes
 * dist/*.js from that git revision, `--baseline DIR` from DIR/dist), measured interleaved with it so
 * before and after share every condition of the shared machine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/support/ansible';

export interface Build {
  id: 'ours' | 'baseline';
  /** How reports name it: "this build" or e.g. "baseline main (1cb5877)". */
  label: string;
  session: string;
  /** consul_lock.js, when the build has it (the bench measures consul_lock only then). */
  lock: string | undefined;
}

const exists = (file: string): string | undefined => (fs.existsSync(file) ? file : undefined);

export function currentBuild(): Build {
  const dist = path.join(REPO_ROOT, 'dist');
  return { id: 'ours', label: 'this build', session: path.join(dist, 'consul_session.js'), lock: exists(path.join(dist, 'consul_lock.js')) };
}

function gitShow(rev: string, file: string): Buffer | undefined {
  const res = spawnSync('git', ['-C', REPO_ROOT, 'show', `${rev}:${file}`], { maxBuffer: 64 * 1024 * 1024 });
  return res.status === 0 ? res.stdout : undefined;
}

/** Copies the baseline's modules into `tmp` (Ansible needs them executable, and a REV is no file). */
export function baselineBuild(spec: string, tmp: string): Build {
  const dir = path.join(tmp, 'baseline');
  fs.mkdirSync(dir, { recursive: true });
  const fromDir = fs.existsSync(spec) && fs.statSync(spec).isDirectory();
  const read = (name: string): Buffer | undefined =>
    fromDir ? (fs.existsSync(path.join(spec, 'dist', name)) ? fs.readFileSync(path.join(spec, 'dist', name)) : undefined) : gitShow(spec, `dist/${name}`);
  const copy = (name: string): string | undefined => {
    const code = read(name);
    if (code === undefined) return undefined;
    fs.writeFileSync(path.join(dir, name), code, { mode: 0o755 });
    return path.join(dir, name);
  };
  const session = copy('consul_session.js');
  if (session === undefined) throw new Error(`--baseline ${spec}: no dist/consul_session.js there`);
  const short = fromDir ? spec : spawnSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', spec], { encoding: 'utf8' }).stdout.trim();
  const name = fromDir || short === spec ? spec : `${spec} (${short})`;
  return { id: 'baseline', label: `baseline ${name}`, session, lock: copy('consul_lock.js') };
}
