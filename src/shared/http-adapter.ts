// axios's request path on Node, cut down to what a Consul client needs: an axios `adapter` (its
// documented extension point, see axios's lib/adapters/README.md) over node:http(s). axios keeps the
// client API (config merging, headers, transforms, errors); this file only moves the bytes. It exists
// because a module starts once per task: axios's own http adapter loads zlib, streams, proxy and
// redirect support at start-up and runs them on every request, none of which this client uses.
//
// The guarantees every request keeps, whatever axios config it is given:
//   - it goes to the one origin the adapter was made for: a URL that is not a plain path is refused;
//   - redirects are returned, never followed (node:http does not follow them);
//   - no proxy, whatever the environment says: the request uses the adapter's own Agent;
//   - a body is sent in one piece with a Content-Length, never chunked (Consul 1.8 ignores chunked bodies);
//   - `timeout` is a deadline for the WHOLE request, connect to last byte, not a socket idle timer,
//     so an answer trickled a byte at a time cannot hang the run;
//   - `maxContentLength` is enforced on the bytes received (and on a declared Content-Length up front).
//
// It rejects with Node's own error (ECONNREFUSED, ECONNRESET, TLS codes …) or, for its own limits, an
// Error with a `code` in the same convention. As axios's adapters do, an error after the status line
// and headers arrived carries `response`: transport-errors.ts reads that as "the answer began, so Consul
// handled the request", which a create's recovery must know.
// It imports axios's types only; consul.ts imports axios itself and hands it this adapter.
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
// The bundle loads node:http and node:https (with tls and crypto) at their first use: a run that fails
// validation needs neither, and one over http never needs TLS (scripts/lazy-builtins.mjs).
import http, { type Agent, type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface Origin {
  scheme: 'http' | 'https';
  /** A host name or IP address; an IPv6 address with or without brackets. */
  host: string;
  port: number;
  /** The connection pool; for https it carries the CA, client certificate and verification setting. */
  agent: Agent;
}

export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The keep-alive connection pool for the scheme; with `tls` for https. */
export function createAgent(scheme: Origin['scheme'], tls: TlsOptions | undefined): Agent {
  return scheme === 'https' ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
}

const codedError = (message: string, code: string): Error & { code: string } => Object.assign(new Error(message), { code });

/** The body to send, or undefined. Only text is sent (axios's transforms have run by now). */
function bodyOf(config: InternalAxiosRequestConfig): Buffer | undefined {
  const data: unknown = config.data;
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new TypeError(`this client sends only text bodies, not ${typeof data}`);
}

export function nodeHttpAdapter(origin: Origin): AxiosAdapter {
  const hostname = origin.host.replace(/^\[(.*)\]$/, '$1');
  const transport = origin.scheme === 'https' ? https : http;
  return (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const url = config.url ?? '';
      if (!url.startsWith('/') || url.startsWith('//')) {
        reject(codedError(`refusing to request ${url}: only paths on the configured agent are requested`, 'ERR_BAD_REQUEST'));
        return;
      }
      const body = bodyOf(config);
      const headers = config.headers.toJSON(true);
      if (body !== undefined) headers['Content-Length'] = String(body.length);
      const maxBytes = config.maxContentLength !== undefined && config.maxContentLength >= 0 ? config.maxContentLength : Infinity;
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      let answer: AxiosResponse | undefined;
      const fail = (error: Error & { response?: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request.destroy();
        if (answer !== undefined && error.response === undefined) error.response = answer;
        reject(error);
      };
      const tooLarge = () => codedError(`maxContentLength size of ${maxBytes} exceeded`, 'ERR_BAD_RESPONSE');

      const request = transport.request(
        { agent: origin.agent, hostname, port: origin.port, method: (config.method ?? 'get').toUpperCase(), path: url, headers },
        (response: IncomingMessage) => {
          const head: AxiosResponse = { data: undefined, status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, config, request };
          answer = head;
          if (Number(response.headers['content-length']) > maxBytes) return fail(tooLarge());
          const chunks: Buffer[] = [];
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > maxBytes) fail(tooLarge());
            else chunks.push(chunk);
          });
          response.on('error', fail);
          // A connection that closes mid-body does not always say so with an 'error'.
          response.on('close', () => {
            if (!response.complete) fail(codedError('the connection closed before the answer ended', 'ECONNRESET'));
          });
          response.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            const result: AxiosResponse = { ...head, data: Buffer.concat(chunks, received).toString('utf8') };
            const valid = config.validateStatus ?? ((status: number) => status >= 200 && status < 300);
            if (valid(result.status)) resolve(result);
            else reject(Object.assign(codedError(`Request failed with status code ${result.status}`, 'ERR_BAD_RESPONSE'), { response: result }));
          });
        },
      );
      request.on('error', fail);
      if (config.timeout) {
        deadline = setTimeout(() => fail(codedError(`timeout of ${config.timeout}ms exceeded`, 'ETIMEDOUT')), config.timeout);
      }
      request.end(body);
    });
}
