// consul_lock as the shared runner sees it: its parameter table, its Settings and its states.
import { reportPending } from '../shared/pending-session';
import type { ModuleDefinition } from '../shared/run-module';
import { TABLE, toSettings, type Settings } from './params';
import { runState } from './states';

export const consulLock: ModuleDefinition<Settings> = {
  table: TABLE,
  toSettings,
  run: async (settings, client) => {
    const result = await runState(settings, client);
    return settings.sessionPending ? reportPending(result, 'session') : result;
  },
};
