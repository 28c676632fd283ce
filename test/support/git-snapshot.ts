/**
 * A throw-away git repository of the working tree as it is now (committed or not, minus what .gitignore
 * leaves out), so install tests can point ansible-galaxy at `git+file://…` the way users point it at the
 * project's real URL, without committing first.
 *
 * It holds two commits: the tree itself on `main`, tagged v<package.json's version>, and on the branch
 * `next` one more commit that adds BRANCH_MARKER to collection/README.md, so a test can tell which ref an
 * install really checked out.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './ansible.js';

export const BRANCH_MARKER = 'This line exists only on the branch next.';

export interface GitSnapshot {
  /** The repository's folder (its .git inside). */
  repo: string;
  /** The tag on main's commit: v<version>. */
  tag: string;
  /** The branch with one more commit. */
  branch: string;
}

/** Runs git in `cwd` and returns its stdout. */
export function git(cwd: string, args: string[]): string {
  // No user configuration is assumed: identity and signing are set for these commits only.
  const config = ['-c', 'user.name=test', '-c', 'user.email=test@localhost', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];
  return execFileSync('git', [...config, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Copies the working tree into `repo` (a new folder) and commits it as described above. */
export function gitSnapshot(repo: string, version: string): GitSnapshot {
  const files = git(REPO_ROOT, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(REPO_ROOT, file);
    if (!existsSync(from) && !isSymlink(from)) continue; // deleted in the working tree, not yet committed
    const to = join(repo, file);
    mkdirSync(dirname(to), { recursive: true });
    if (isSymlink(from)) symlinkSync(readlinkSync(from), to);
    else copyFileSync(from, to); // keeps the run bit: copyFileSync copies the mode
  }
  const tag = `v${version}`;
  const branch = 'next';
  git(repo, ['init', '-q', '-b', 'main']);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'snapshot of the working tree']);
  git(repo, ['tag', tag]);
  git(repo, ['checkout', '-q', '-b', branch]);
  appendFileSync(join(repo, 'collection/README.md'), `\n${BRANCH_MARKER}\n`);
  git(repo, ['commit', '-q', '-am', 'a commit only on next']);
  git(repo, ['checkout', '-q', 'main']);
  return { repo, tag, branch };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
