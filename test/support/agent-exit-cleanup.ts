/**
 * Tracking of the dev agents this process started, so that agents still running when the
 * process exits (or is signalled) are SIGKILLed and their temp dirs removed.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface Tracked {
  child: ChildProcess;
  dir: string;
}

export const running = new Set<Tracked>();
let exitHooksInstalled = false;

function killAllSync(): void {
  for (const t of running) {
    try {
      t.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      fs.rmSync(t.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  running.clear();
}

export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else handles this signal (mocha, the CLI): let them shut down
      // gracefully; the 'exit' hook above is the backstop.
      if (process.listenerCount(sig) > 1) return;
      // Nobody else does: kill the agents, then restore the default (terminate) behaviour.
      killAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
