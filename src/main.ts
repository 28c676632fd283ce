// Entry point: args file → Settings → state → one JSON result. Thin on purpose; every step lives in
// its own module, and every failure, expected or not, becomes a failure result rather than a trace.
import { readArgs } from './args';
import { ConsulClient } from './consul';
import { secretValues } from './env';
import { toSettings } from './params';
import { emit, failureResult } from './result';
import { SessionApi } from './sessions';
import { runState } from './states';

async function main(): Promise<void> {
  let secrets: string[] = [];
  let client: ConsulClient | undefined;
  try {
    const args = readArgs(process.argv[2]);
    secrets = secretValues(args.params, process.env);
    const settings = toSettings(args, process.env);
    client = new ConsulClient(settings.connection);
    const result = await runState(settings, new SessionApi(client, settings.datacenter));
    emit(result, secrets, 0);
  } catch (error) {
    emit(failureResult(error), secrets, 1);
  } finally {
    client?.close();
  }
}

void main();
