// consul_semaphore as the shared runner sees it: its parameter table, its Settings, and its states run
// against the KV and session APIs of the run's one client, on the real clock.
import { lockApis } from '../shared/lock-apis';
import type { ModuleDefinition } from '../shared/run-module';
import { TABLE, toSettings, type Settings } from './params';
import { runState } from './states';

export const consulSemaphore: ModuleDefinition<Settings> = {
  table: TABLE,
  toSettings,
  run: (settings, client) => runState(settings, lockApis(client, settings.datacenter)),
  sessionParameter: 'session',
};
