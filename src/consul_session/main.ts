// Entry point: args file → Settings → state → one JSON result. Thin on purpose; every step lives in
// its own module, and every failure, expected or not, becomes a failure result rather than a trace.
import { readArgs } from '../shared/args';
import { ConsulClient } from '../shared/consul';
import { secretValues } from '../shared/env';
import { toSettings, type Settings } from './params';
import { emit, failureResult } from '../shared/result';
import { SessionApi } from '../shared/sessions';
import { runState } from './states';

async function main(): Promise<void> {
  let secrets: string[] = [];
  let client: ConsulClient | undefined;
  let settings: Settings | undefined;
  try {
    const args = readArgs(process.argv[2]);
    secrets = secretValues(args.params, process.env);
    settings = toSettings(args, process.env);
    client = new ConsulClient(settings.connection);
    const result = await runState(settings, new SessionApi(client, settings.datacenter, settings.consistency));
    emit(result, secrets, 0);
  } catch (error) {
    const invocation = settings ? { invocation: settings.invocation } : {};
    emit({ ...failureResult(error), ...invocation }, secrets, 1);
  } finally {
    client?.close();
  }
}

void main();
