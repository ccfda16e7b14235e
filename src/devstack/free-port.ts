import net from 'node:net';

/** Asks the kernel for a free port on 127.0.0.1. A race with other processes is possible,
 * so callers that bind later retry on "address in use". */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** A port the user asked for that something else already holds. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly flag: string,
  ) {
    super(
      `port ${port} on 127.0.0.1 is in use (another Temporal dev server, 'asrflow dev up' or demo?): stop that, or choose another with ${flag} N (0 = any free port)`,
    );
    this.name = 'PortInUseError';
  }
}

/** Fails early and clearly when a chosen port is taken, instead of a server's own bind error. */
export function assertPortFree(port: number, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port, flag) : error),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
