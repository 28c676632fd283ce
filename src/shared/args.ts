// Reads the arguments file Ansible hands a WANT_JSON module (argv[2]) and splits Ansible's own
// `_ansible_*` keys from the module's parameters.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModuleFailure } from './errors';
import { emptyRecord } from './records';

/** Larger args files are refused before they are read: no real parameter set comes close. */
export const MAX_ARGS_BYTES = 1024 * 1024;

export interface AnsibleFlags {
  checkMode: boolean;
  diff: boolean;
  noLog: boolean;
  verbosity: number;
}

export interface ModuleArgs {
  /** The module's parameters, not yet validated. */
  params: Record<string, unknown>;
  ansible: AnsibleFlags;
}

const usage = (moduleName: string) =>
  `usage: ${moduleName} ARGS_FILE (a JSON object of parameters, as Ansible writes it for WANT_JSON modules)`;

function readLimited(path: string, moduleName: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModuleFailure(`The arguments file ${path} does not exist. ${usage(moduleName)}`);
    throw new ModuleFailure(`The arguments file ${path} could not be read (${code ?? String(error)}).`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ModuleFailure(`The arguments file ${path} is not a regular file.`);
    if (stat.size > MAX_ARGS_BYTES) {
      throw new ModuleFailure(
        `The arguments file ${path} is ${stat.size} bytes; more than ${MAX_ARGS_BYTES} bytes is refused.`,
      );
    }
    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < stat.size) {
      const read = readSync(fd, buffer, offset, stat.size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.toString('utf8', 0, offset);
  } catch (error) {
    if (error instanceof ModuleFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModuleFailure(`The arguments file ${path} could not be read (${code ?? String(error)}).`);
  } finally {
    closeSync(fd);
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function flag(value: unknown): boolean {
  return value === true || value === 'True' || value === 'true' || value === 1;
}

/** Parses the text of an args file: a flat object, or `{"ANSIBLE_MODULE_ARGS": {...}}` as for Python modules. */
export function parseArgs(text: string, source = 'The arguments file'): ModuleArgs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModuleFailure(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (isPlainObject(parsed) && 'ANSIBLE_MODULE_ARGS' in parsed) parsed = parsed.ANSIBLE_MODULE_ARGS;
  if (!isPlainObject(parsed)) {
    throw new ModuleFailure(`${source} must hold a JSON object of parameters, not ${describeJsonValue(parsed)}.`);
  }
  const params = emptyRecord();
  const internal = emptyRecord();
  for (const [key, value] of Object.entries(parsed)) {
    if (key.startsWith('_ansible_')) internal[key] = value;
    else params[key] = value;
  }
  const verbosity = Number(internal._ansible_verbosity ?? 0);
  return {
    params,
    ansible: {
      checkMode: flag(internal._ansible_check_mode),
      diff: flag(internal._ansible_diff),
      noLog: flag(internal._ansible_no_log),
      verbosity: Number.isFinite(verbosity) ? verbosity : 0,
    },
  };
}

export function readArgs(path: string | undefined, moduleName: string): ModuleArgs {
  if (!path) throw new ModuleFailure(`No arguments file was given. ${usage(moduleName)}`);
  return parseArgs(readLimited(path, moduleName), `The arguments file ${path}`);
}
