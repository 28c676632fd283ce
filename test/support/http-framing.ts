/**
 * Where one HTTP/1.1 message ends on a keep-alive byte stream, for the fault proxy: requests framed by
 * Content-Length (the module never sends chunked bodies; a chunked request is refused loudly), answers
 * framed by Content-Length, chunked transfer coding, or the end of the connection (as Go's net/http
 * may answer).
 */

export interface RequestHead {
  method: string;
  path: string;
}

export interface FramedRequest extends RequestHead {
  /** The whole request, head and body, exactly as received. */
  raw: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function headers(head: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) found.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return found;
}

/** Takes every complete request off the front of `buffer`; returns them and what is left. */
export function takeRequests(buffer: Buffer): { requests: FramedRequest[]; rest: Buffer } {
  const requests: FramedRequest[] = [];
  let rest = buffer;
  for (;;) {
    const end = rest.indexOf(HEAD_END);
    if (end < 0) break;
    const head = rest.subarray(0, end).toString('latin1');
    const fields = headers(head);
    if (/chunked/i.test(fields.get('transfer-encoding') ?? '')) throw new Error(`a chunked request body, which the module must never send: ${head.split('\r\n')[0]}`);
    const total = end + HEAD_END.length + Number(fields.get('content-length') ?? 0);
    if (rest.length < total) break;
    const [method = '', path = ''] = head.split('\r\n')[0]?.split(' ') ?? [];
    requests.push({ method, path, raw: rest.subarray(0, total) });
    rest = rest.subarray(total);
  }
  return { requests, rest };
}

/**
 * The length of the complete answer at the front of `buffer` when it has arrived, else undefined.
 * `closed` says the upstream connection has ended (which ends an answer framed by the connection).
 */
export function answerLength(buffer: Buffer, closed: boolean): { headLength: number; total: number; status: number } | undefined {
  const end = buffer.indexOf(HEAD_END);
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString('latin1');
  const status = Number(head.split(' ')[1]);
  const headLength = end + HEAD_END.length;
  const fields = headers(head);
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { headLength, total: headLength, status };
  if (/chunked/i.test(fields.get('transfer-encoding') ?? '')) {
    const total = chunkedEnd(buffer, headLength);
    return total === undefined ? undefined : { headLength, total, status };
  }
  const length = fields.get('content-length');
  if (length !== undefined) {
    const total = headLength + Number(length);
    return buffer.length >= total ? { headLength, total, status } : undefined;
  }
  return closed ? { headLength, total: buffer.length, status } : undefined;
}

/** The end of a chunked body starting at `from`, trailers included; undefined while incomplete. */
function chunkedEnd(buffer: Buffer, from: number): number | undefined {
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) throw new Error(`a malformed chunk size in an answer: ${buffer.subarray(at, lineEnd).toString('latin1')}`);
    if (size === 0) {
      const trailersEnd = buffer.indexOf('\r\n', lineEnd + 2);
      if (trailersEnd < 0) return undefined;
      if (trailersEnd === lineEnd + 2) return trailersEnd + 2;
      const end = buffer.indexOf(HEAD_END, lineEnd);
      return end < 0 ? undefined : end + HEAD_END.length;
    }
    at = lineEnd + 2 + size + 2;
    if (buffer.length < at) return undefined;
  }
}
