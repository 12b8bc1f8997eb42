/**
 * Free loopback ports for test peers.
 */
import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it again.
 *
 * Another process can take the port between this call and the caller's own
 * `listen`; peers that bind it themselves (moto) retry with a new port when
 * the bind fails.
 *
 * @example
 * const port = await freePort();
 * server.listen(port, '127.0.0.1');
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listening on 127.0.0.1:0 gave no TCP port'));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
