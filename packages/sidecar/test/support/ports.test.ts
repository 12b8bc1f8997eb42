/**
 * Free ports are free: a peer can bind them straight away.
 */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { freePort } from './ports.js';

describe('freePort', () => {
  test('returns loopback ports that can be listened on at once', async () => {
    for (const port of [await freePort(), await freePort()]) {
      expect(port).toBeGreaterThan(0);
      const server = createServer().listen(port, '127.0.0.1');
      await once(server, 'listening');
      server.close();
      await once(server, 'close');
    }
  });
});
