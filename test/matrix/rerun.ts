/**
 * Registers test files once more inside the describe that calls rerun(): every suite a file declares
 * becomes a child of that describe, so its hooks (setting the version under test) wrap them all. Files
 * are found when the matrix is loaded, so a new test file in a listed folder (a new module's) is
 * included without being named anywhere.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../..');

/** The *.test.ts files of `paths` (files, or folders searched recursively), relative to the repository, sorted. */
export function testFiles(paths: string[]): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else if (path.endsWith('.test.ts')) found.push(path);
  };
  for (const path of paths) visit(resolve(REPO_ROOT, path));
  return found.sort();
}

/**
 * Loads every test file of `paths` again into `suite` (call it inside that describe's callback), minus the
 * tests titled in `except`; a title that matches no test throws, so a renamed test is noticed.
 */
export function rerun(suite: Mocha.Suite, paths: string[], except: string[] = []): void {
  for (const file of testFiles(paths)) {
    // mocha loads spec files with require(): a cached module would not declare its suites again, and a
    // copy left cached here would keep mocha's own (main-pass) load from declaring them at all.
    delete require.cache[file];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load is what nests the file's describes here
    require(file);
    delete require.cache[file];
  }
  const unmatched = new Set(except);
  const prune = (parent: Mocha.Suite): void => {
    parent.tests = parent.tests.filter((test) => {
      if (!except.includes(test.title)) return true;
      unmatched.delete(test.title);
      return false;
    });
    parent.suites.forEach(prune);
  };
  prune(suite);
  if (unmatched.size > 0) throw new Error(`test/matrix/plan.ts excludes tests that do not exist (renamed?): ${[...unmatched].join('; ')}`);
}
