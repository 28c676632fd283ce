// Environment fallbacks, as the consul CLI reads them. They apply only to parameters that are not given
// (null counts as not given), before conversion, so they are converted and validated like any value.
import type { OptionSpec } from './option-spec';
import { emptyRecord } from './records';

const ADDRESS_VARIABLE = 'CONSUL_HTTP_ADDR';

const isGiven = (value: unknown) => value !== undefined && value !== null;

/** CONSUL_HTTP_ADDR: `host`, `host:port`, `[v6]:port`, or `scheme://host:port`. */
function parseAddress(address: string, errors: string[]): { scheme?: string; host?: string; port?: string } {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    errors.push(
      `${ADDRESS_VARIABLE}=${address} uses the scheme ${scheme}://, which this module does not support; ` +
        'give host, port and scheme (http or https) instead.',
    );
    return {};
  }
  let url: URL;
  try {
    url = new URL(scheme ? address : `http://${address}`);
  } catch {
    errors.push(`${ADDRESS_VARIABLE}=${address} is not an address like 127.0.0.1:8500 or https://consul.example:8501.`);
    return {};
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
    errors.push(`${ADDRESS_VARIABLE}=${address} must be only scheme://host:port, without a path, query or user.`);
    return {};
  }
  return {
    scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
  };
}

export function applyEnvFallbacks(
  params: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  errors: string[],
  options: Readonly<Record<string, OptionSpec>>,
): Record<string, unknown> {
  const raw = Object.assign(emptyRecord(), params);
  const fill = (key: string, value: unknown) => {
    if (!isGiven(raw[key]) && value !== undefined && value !== '') raw[key] = value;
  };
  const address = env[ADDRESS_VARIABLE];
  if (address) {
    const parsed = parseAddress(address, errors);
    fill('host', parsed.host);
    fill('port', parsed.port);
    fill('scheme', parsed.scheme);
  }
  // The consul CLI turns on TLS with CONSUL_HTTP_SSL=true when the address has no scheme.
  if (/^(1|true|yes|on)$/i.test(env.CONSUL_HTTP_SSL ?? '')) fill('scheme', 'https');
  for (const [key, spec] of Object.entries(options)) {
    for (const variable of spec.env ?? []) {
      if (variable !== ADDRESS_VARIABLE) fill(key, env[variable]);
    }
  }
  return raw;
}

/** Every secret value in play, given or from the environment, even if the parameters are invalid. */
export function secretValues(
  params: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: Readonly<Record<string, OptionSpec>>,
): string[] {
  const secrets: string[] = [];
  for (const [key, spec] of Object.entries(options)) {
    if (!spec.noLog) continue;
    for (const value of [params[key], ...(spec.env ?? []).map((name) => env[name])]) {
      if (typeof value === 'string' && value !== '') secrets.push(value);
      else if (typeof value === 'number') secrets.push(String(value));
    }
  }
  return secrets;
}
