// consul_session as the shared runner sees it: its parameter table, its Settings and its states.
import type { ModuleDefinition } from '../shared/run-module';
import { SessionApi } from '../shared/sessions';
import { TABLE, toSettings, type Settings } from './params';
import { runState } from './states';

export const consulSession: ModuleDefinition<Settings> = {
  table: TABLE,
  toSettings,
  run: (settings, client) => runState(settings, new SessionApi(client, settings.datacenter, settings.consistency)),
  sessionParameter: 'id',
};
