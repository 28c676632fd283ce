/**
 * Runs the BUILT module (dist/consul_session.js) the way Ansible does: a child process with an args
 * file in argv[2], under moduleNode() (mocha's node, or the Node.js the matrix chose). Every run is
 * checked for the module's output contract: exactly one JSON object on stdout, exit 0 on success and 1
 * on failure, never a stack trace.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import MODULES from '../../src/modules.json';
import { moduleNode } from './toolchain';

export { moduleNode };

/** A module named in src/modules.json. */
export type ModuleName = string;

export function modulePath(name: ModuleName): string {
  if (!MODULES.includes(name)) throw new Error(`${name} is not a module of src/modules.json (${MODULES.join(', ')})`);
  return resolve(__dirname, `../../dist/${name}.js`);
}
export const MODULE_PATH = modulePath('consul_session');

export interface ModuleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The one JSON object the module printed. */
  result: Record<string, unknown>;
}

export interface RunOptions {
  /** Environment for the module; CONSUL_* variables of the test runner are NOT inherited. */
  env?: NodeJS.ProcessEnv;
  /** Write this exact text as the args file instead of JSON.stringify(args). */
  rawArgs?: string;
  /** Give this path as argv[2] (e.g. a missing file); no args file is written. */
  argsPath?: string;
  /** Pass no argv[2] at all. */
  noArgs?: boolean;
  /** Which built module to run; consul_session unless given. */
  module?: ModuleName;
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONSUL_')) env[key] = value;
  return { ...env, ...extra };
}

/** Asserts the output contract and returns the parsed result. */
export function parseSingleJson(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n'), 'output ends with one newline').to.equal(true);
  const body = stdout.slice(0, -1);
  expect(body, 'exactly one line of output').not.to.contain('\n');
  const parsed = JSON.parse(body) as unknown;
  expect(parsed).to.be.an('object').and.not.to.be.an('array');
  return parsed as Record<string, unknown>;
}

export async function runModule(args: Record<string, unknown>, options: RunOptions = {}): Promise<ModuleRun> {
  const dir = mkdtempSync(join(tmpdir(), 'consul-session-args-'));
  try {
    let argv: string[] = [];
    if (options.argsPath !== undefined) argv = [options.argsPath];
    else if (!options.noArgs) {
      const file = join(dir, 'args');
      writeFileSync(file, options.rawArgs ?? JSON.stringify(args));
      argv = [file];
    }
    const child = spawn(moduleNode(), [modulePath(options.module ?? 'consul_session'), ...argv], { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    const out = Buffer.concat(stdout).toString('utf8');
    const run = { code, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), result: parseSingleJson(out) };
    // The output is one JSON line, so a stack would hide in a string: look inside the values.
    expect(run.result, 'no exception (an unexpected error of ours)').not.to.have.property('exception');
    expect(out, 'no stack frame anywhere in the output').not.to.match(/\bat [^"]*\(?[^"]*\.(?:js|ts):\d+:\d+\)?/);
    expect(run.code, `exit code matches failed=${String(run.result.failed)}`).to.equal(run.result.failed ? 1 : 0);
    return run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the module against an agent address and expects success. */
export async function runOk(args: Record<string, unknown>, options: RunOptions = {}): Promise<Record<string, unknown>> {
  const run = await runModule(args, options);
  expect(run.result.failed, `module failed: ${String(run.result.msg)}`).to.equal(undefined);
  return run.result;
}

/** Runs the module and expects a clean failure; returns its msg. */
export async function runFail(args: Record<string, unknown>, options: RunOptions = {}): Promise<string> {
  const run = await runModule(args, options);
  expect(run.result.failed, `expected a failure, got ${run.stdout}`).to.equal(true);
  expect(run.result.changed).to.equal(false);
  return String(run.result.msg);
}
