import net from 'node:net';
import { freePort } from '../free-port';

/** cluster_membership.rpc_port is a SMALLINT: a membership port above this kills the server. */
export const MAX_MEMBERSHIP_PORT = 32767;
const LOW = 20000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Hands out distinct free ports on 127.0.0.1. Kernel-chosen ports are usually above 32767, which
 * membership ports must not be, so those are picked at random in 20000–32767 and probed. Ports
 * handed out once are never handed out again by the same allocator (the processes that will bind
 * them have not started yet).
 */
export class PortAllocator {
  private readonly taken = new Set<number>();

  async any(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.taken.has(port)) {
        this.taken.add(port);
        return port;
      }
    }
  }

  async membership(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = LOW + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT - LOW + 1));
      if (this.taken.has(port)) continue;
      if (await tryListen(port)) {
        this.taken.add(port);
        return port;
      }
    }
    throw new Error(`found no free port between ${LOW} and ${MAX_MEMBERSHIP_PORT} on 127.0.0.1`);
  }
}
