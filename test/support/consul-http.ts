/** consulHttp: the test harness's minimal HTTP(S) client for talking to Consul directly. */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Agent, AgentTls } from './dev-agent-types.js';

export interface HttpResult {
  status: number;
  /** parsed JSON when the body is JSON, otherwise the raw text */
  body: unknown;
  /** raw response text */
  text: string;
  headers: http.IncomingHttpHeaders;
}

export interface HttpOptions {
  /** sent as X-Consul-Token; defaults to target.token */
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** A connection pool to reuse (e.g. keep-alive for bulk requests); default: a new connection each time. */
  agent?: http.Agent;
}

/**
 * Minimal HTTP client for talking to Consul directly in tests (node:http, always
 * sends Content-Length, never follows redirects). `body`: a string is sent as is,
 * anything else is JSON-encoded.
 */
export function consulHttp(
  target: Pick<Agent, 'url'> & { token?: string | undefined; tls?: AgentTls | undefined },
  method: string,
  urlPath: string,
  body?: unknown,
  opts: HttpOptions = {},
): Promise<HttpResult> {
  const url = new URL(urlPath, target.url);
  const payload =
    body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (payload !== undefined || method.toUpperCase() !== 'GET') {
    headers['Content-Length'] = String(payload?.length ?? 0);
  }
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  const token = opts.token ?? target.token;
  if (token) headers['X-Consul-Token'] = token;

  const tls =
    url.protocol === 'https:' && target.tls
      ? {
          ca: fs.readFileSync(target.tls.caFile),
          cert: target.tls.certFile === undefined ? undefined : fs.readFileSync(target.tls.certFile),
          key: target.tls.keyFile === undefined ? undefined : fs.readFileSync(target.tls.keyFile),
        }
      : {};
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: method.toUpperCase(), headers, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          const ct = String(res.headers['content-type'] ?? '');
          if (text.length > 0 && (ct.includes('json') || /^\s*[[{"]/.test(text))) {
            try {
              parsed = JSON.parse(text) as unknown;
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
