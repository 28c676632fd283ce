// consul_lock as the shared runner sees it: its parameter table, its Settings and its states.
import type { ModuleDefinition } from '../shared/run-module';
import { TABLE, toSettings, type Settings } from './params';
import { runState } from './states';

export const consulLock: ModuleDefinition<Settings> = { table: TABLE, toSettings, run: runState, sessionParameter: 'session' };
