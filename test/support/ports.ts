/** Free loopback ports for test agents: never Consul's default ports, never one handed out twice. */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const FORBIDDEN_PORTS = new Set([8300, 8301, 8302, 8500, 8501, 8502, 8600]);

function listenTcp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.unref();
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      sock.close(() => resolve(true));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A free 127.0.0.1 port (free for TCP and UDP, since serf uses both): listen on
 * port 0, read the port, close. Never returns Consul's default ports or a port this
 * process already handed out.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await listenTcp(0);
    if (port === 0 || FORBIDDEN_PORTS.has(port) || handedOut.has(port)) continue;
    if (!(await udpFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: could not find a free port in 50 attempts');
}
