// What both lock kinds' states run against in a real run: the KV and session APIs of the run's one
// client, its retry budget and the real clock. Unit tests hand the states fakes of the same shape.
import type { ConsulClient } from './consul';
import { KvApi } from './kv';
import { realClock } from './retry';
import { SessionApi } from './sessions';

export function lockApis(client: ConsulClient, datacenter?: string) {
  return { kv: new KvApi(client, datacenter), sessions: new SessionApi(client, datacenter), retry: client.retry, clock: realClock };
}
