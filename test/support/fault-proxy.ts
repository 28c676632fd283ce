/**
 * A fault-injecting TCP proxy (node:net) between the module and a Consul agent. It decides a fault per
 * REQUEST, not per connection: the module sends several requests over one keep-alive connection, so it
 * cuts the byte stream into requests (http-framing.ts) and asks `decide` about each one:
 *
 * - pass:               forward the request, return the answer;
 * - reset-before:       reset the connection; the request never reaches Consul;
 * - reset-after-answer: forward the request, wait for Consul's whole answer, then reset instead of
 *                       returning it (on a create: it happened, but the module cannot know);
 * - stall:              forward, then hold the answer past the module's `timeout` and reset;
 * - truncate:           forward, then return the head and half the body and close the connection.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerLength, takeRequests, type FramedRequest, type RequestHead } from './http-framing.js';

export const FAULTS = ['reset-before', 'reset-after-answer', 'stall', 'truncate'] as const;
export type Fault = (typeof FAULTS)[number];
export type Decision = 'pass' | Fault;
export type Decide = (request: RequestHead) => Decision | Promise<Decision>;

const noFaults = () => ({ 'reset-before': 0, 'reset-after-answer': 0, stall: 0, truncate: 0 }) as Record<Fault, number>;

export class FaultProxy {
  private server: net.Server;
  private readonly connections = new Set<ProxiedConnection>();
  port = 0;
  requests = 0;
  /** Client connections accepted: a keep-alive client sends many requests over few of them. */
  connectionsAccepted = 0;
  /** Bytes the proxy could not frame as HTTP/1.1 requests (e.g. a chunked body): a test must see none. */
  readonly protocolErrors: string[] = [];
  readonly faults = noFaults();
  /** The faults that hit PUT /v1/session/create, counted apart: the "did my create happen?" cases. */
  readonly createFaults = noFaults();

  constructor(
    readonly target: { host: string; port: number },
    /** Asked once per request; may wait (e.g. to hold requests until others arrive). */
    public decide: Decide,
    /** How long `stall` holds an answer before resetting: more than the module's `timeout`. */
    readonly stallMs: number,
  ) {
    this.server = net.createServer((socket) => {
      this.connectionsAccepted++;
      const connection = new ProxiedConnection(socket, this);
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Module arguments that talk to the agent through this proxy. */
  get moduleArgs(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  count(request: RequestHead, decision: Decision): void {
    this.requests++;
    if (decision === 'pass') return;
    this.faults[decision]++;
    if (request.method === 'PUT' && request.path.startsWith('/v1/session/create')) this.createFaults[decision]++;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.kill();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One client connection and the upstream connection it is relayed over; requests are handled one by one. */
class ProxiedConnection {
  private received: Buffer = Buffer.alloc(0);
  private readonly queue: FramedRequest[] = [];
  private busy = false;
  private alive = true;
  private upstream: net.Socket | undefined;
  private answer: Buffer = Buffer.alloc(0);
  private upstreamClosed = false;
  private wake: (() => void) | undefined;
  private readonly clientClosed: Promise<void>;

  constructor(
    private readonly client: net.Socket,
    private readonly proxy: FaultProxy,
  ) {
    client.on('error', () => this.kill());
    this.clientClosed = new Promise((resolve) => client.once('close', () => resolve()));
    void this.clientClosed.then(() => this.kill());
    client.on('data', (chunk: Buffer) => {
      if (!this.alive) return;
      try {
        const { requests, rest } = takeRequests(Buffer.concat([this.received, chunk]));
        this.received = rest;
        this.queue.push(...requests);
      } catch (error) {
        this.proxy.protocolErrors.push(error instanceof Error ? error.message : String(error));
        return this.kill();
      }
      void this.pump();
    });
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream?.destroy();
    this.wake?.();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    // Bounded by the requests the client sent; every step ends with an answer or a dead connection.
    while (this.alive && this.queue.length) await this.handle(this.queue.shift() as FramedRequest);
    this.busy = false;
  }

  private async handle(request: FramedRequest): Promise<void> {
    const decision = await this.proxy.decide(request);
    if (!this.alive) return;
    this.proxy.count(request, decision);
    if (decision === 'reset-before') return this.kill();
    const answer = await this.forward(request.raw);
    if (!answer || !this.alive) return this.kill();
    if (decision === 'pass') {
      this.client.write(answer.bytes);
      if (answer.endsConnection) this.client.end();
    } else if (decision === 'reset-after-answer') {
      this.kill();
    } else if (decision === 'stall') {
      await Promise.race([sleep(this.proxy.stallMs), this.clientClosed]);
      this.kill();
    } else {
      const bodyLength = answer.bytes.length - answer.headLength;
      const cut = bodyLength >= 2 ? answer.headLength + Math.floor(bodyLength / 2) : Math.floor(answer.headLength / 2);
      this.alive = false;
      this.upstream?.destroy();
      this.client.end(answer.bytes.subarray(0, cut));
    }
  }

  /** Sends one request upstream and resolves with its whole answer, or undefined if the upstream died first. */
  private async forward(raw: Buffer): Promise<{ bytes: Buffer; headLength: number; endsConnection: boolean } | undefined> {
    if (!this.upstream || this.upstreamClosed) this.connectUpstream();
    (this.upstream as net.Socket).write(raw);
    // Bounded: each pass waits for upstream data or its end, and the upstream ends when killed.
    for (;;) {
      const framed = answerLength(this.answer, this.upstreamClosed);
      if (framed) {
        const bytes = this.answer.subarray(0, framed.total);
        this.answer = this.answer.subarray(framed.total);
        return { bytes, headLength: framed.headLength, endsConnection: this.upstreamClosed };
      }
      if (this.upstreamClosed || !this.alive) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private connectUpstream(): void {
    const socket = net.connect(this.proxy.target.port, this.proxy.target.host);
    this.upstream = socket;
    this.upstreamClosed = false;
    this.answer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.answer = Buffer.concat([this.answer, chunk]);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.upstream !== socket) return;
      this.upstreamClosed = true;
      this.wake?.();
    });
  }
}

/** Starts a proxy in front of `target` on a free loopback port. */
export function startFaultProxy(target: { host: string; port: number }, decide: Decide, stallMs: number): Promise<FaultProxy> {
  return new FaultProxy(target, decide, stallMs).listen();
}
