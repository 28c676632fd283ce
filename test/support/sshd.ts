/**
 * A throw-away OpenSSH server for tests that run plays over a real SSH connection, as users do: Debian's
 * /usr/sbin/sshd on a free 127.0.0.1 port with its own config, host key, user key and authorized_keys in
 * a temp folder. The machine's own ssh setup (/etc/ssh, ~/.ssh, a running sshd) is neither read nor
 * changed; the server accepts only the current user, only with the generated key.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { sleep, tail, waitForExit } from './agent-process';
import { installExitHooks, running, type Tracked } from './agent-exit-cleanup';
import { freePort } from './ports';

const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export interface Sshd {
  port: number;
  user: string;
  dir: string;
  /** The private key the server accepts. */
  keyFile: string;
  /** A known_hosts file holding the server's host key. */
  knownHosts: string;
  /** Where SSH multiplexing sockets go (Ansible's ansible_control_path_dir); stop() closes their masters. */
  controlDir: string;
  stop(): Promise<void>;
}

/** What is missing to run sshd here (binaries of Debian's openssh-server and openssh-client), if anything. */
export function missingSshTools(): string | undefined {
  for (const file of [SSHD, SFTP_SERVER]) if (!existsSync(file)) return `${file} (Debian: apt-get install openssh-server)`;
  for (const tool of ['ssh', 'ssh-keygen']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} (Debian: apt-get install openssh-client)`;
  }
  return undefined;
}

/** For mocha `before` hooks: skips without sshd locally, fails under CI=true. */
export function sshdOrSkip(ctx: Mocha.Context): void {
  const missing = missingSshTools();
  if (missing === undefined) return;
  if (process.env.CI === 'true') throw new Error(`${missing} is required in CI (CI=true) but is not installed`);
  console.warn(`[sshd] skipping: ${missing} is not installed.`);
  ctx.skip();
}

function keygen(file: string, comment: string): void {
  const run = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ssh-keygen failed: ${run.stderr}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'consul-ts-sshd-'));
  const user = userInfo().username;
  const port = await freePort();
  keygen(join(dir, 'host_key'), 'test-sshd-host');
  keygen(join(dir, 'user_key'), 'test-sshd-user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), { mode: 0o600 });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`);
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    // Key only, also for root; no passwords, no PAM (which would read the machine's own setup).
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The folder sits under /tmp (mode 1777), which StrictModes refuses as a home for authorized_keys.
    'StrictModes no',
    // Without pipelining, Ansible copies module files with sftp (then scp).
    `Subsystem sftp ${SFTP_SERVER}`,
    'LogLevel VERBOSE',
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  // sshd refuses to start without its privilege separation folder, which Debian creates only when its
  // service starts; an empty root-owned /run/sshd is what it expects (left in place: a real sshd may use it).
  if (!existsSync('/run/sshd') && process.getuid?.() === 0) mkdirSync('/run/sshd', { mode: 0o755 });

  const log = join(dir, 'sshd.log');
  // In its own process group, so that stop() ends the listener and the processes it started.
  const child = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', log], { stdio: 'ignore', detached: true });
  installExitHooks();
  const tracked: Tracked = { child, dir };
  running.add(tracked);
  const stop = async (): Promise<void> => {
    // Ansible's multiplexing masters (ControlPersist) would keep their sessions, and the per-connection
    // sshd processes (in sessions of their own, out of the group's reach), alive for another minute.
    const controlDir = join(dir, 'cp');
    if (existsSync(controlDir)) {
      for (const socket of readdirSync(controlDir)) spawnSync('ssh', ['-F', '/dev/null', '-S', join(controlDir, socket), '-O', 'exit', 'sshd-test'], { stdio: 'ignore' });
    }
    const group = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* the group is gone */
      }
    };
    group('SIGTERM');
    if (!(await waitForExit(child, 5000))) group('SIGKILL');
    running.delete(tracked);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !(await accepts(port)); i++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    await sleep(100);
  }
  if (!(await accepts(port))) {
    const why = tail(log);
    await stop();
    throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${why}`);
  }
  return { port, user, dir, keyFile: join(dir, 'user_key'), knownHosts: join(dir, 'known_hosts'), controlDir: join(dir, 'cp'), stop };
}
