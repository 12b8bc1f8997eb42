import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { peekClientHello, type ClientHelloPeek, type PeekClientHelloOptions } from './client-hello.js';
import { ClientHelloError } from './errors.js';
import {
  captureClientHello,
  craftClientHello,
  extension,
  frame,
  handshakeOf,
  serverNameExtension,
} from './testing/client-hello-fixtures.js';

interface Delivery {
  /** Pause between chunks so they arrive as separate TCP reads. */
  gapMs?: number;
  /** Half-close after the last chunk. */
  end?: boolean;
  /** Abort the peek this long after the connection is accepted. */
  abortAfterMs?: number;
}

/** Sends `chunks` from a real client socket and peeks them on the accepting side. */
async function peekOver(
  chunks: Buffer[],
  options: PeekClientHelloOptions = {},
  delivery: Delivery = {},
): Promise<{ outcome: ClientHelloPeek | ClientHelloError; reads: number; rest: Buffer }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<{ outcome: ClientHelloPeek | ClientHelloError; reads: number; rest: Buffer }>((resolve) => {
    server.once('connection', (socket) => {
      socket.on('error', () => undefined);
      let reads = 0;
      socket.on('data', () => reads++);
      const controller = new AbortController();
      if (delivery.abortAfterMs !== undefined) setTimeout(() => controller.abort(), delivery.abortAfterMs);
      peekClientHello(socket, { ...options, signal: controller.signal }).then(
        async (outcome) => {
          // Whatever the client sent after the peek stops must still be in the socket.
          const rest: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => rest.push(chunk));
          socket.resume();
          if (delivery.end) await Promise.race([once(socket, 'end'), sleep(2_000)]);
          socket.destroy();
          resolve({ outcome, reads, rest: Buffer.concat(rest) });
        },
        (err: unknown) => {
          socket.destroy();
          resolve({ outcome: err as ClientHelloError, reads, rest: Buffer.alloc(0) });
        },
      );
    });
  });
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  client.setNoDelay(true);
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('connect', resolve));
  for (const [index, chunk] of chunks.entries()) {
    if (index > 0 && delivery.gapMs) await sleep(delivery.gapMs);
    client.write(chunk);
  }
  if (delivery.end) client.end();
  try {
    return await accepted;
  } finally {
    client.destroy();
    server.close();
  }
}

function expectError(outcome: ClientHelloPeek | ClientHelloError, code: ClientHelloError['code']): ClientHelloError {
  expect(outcome).toBeInstanceOf(ClientHelloError);
  expect((outcome as ClientHelloError).code).toBe(code);
  return outcome as ClientHelloError;
}

function split(bytes: Buffer, ...at: number[]): Buffer[] {
  const cuts = [0, ...at, bytes.length];
  return cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
}

/** A ClientHello whose only extension claims 65535 bytes of data. */
function overrunningExtension(): Buffer {
  const hello = craftClientHello({ extensions: [extension(10, Buffer.from([0, 0]))] });
  // header 4, version 2, random 32, session id 1, suites 2+2, compression 1+1, extensions length 2, type 2
  hello.writeUInt16BE(0xffff, 4 + 2 + 32 + 1 + 4 + 2 + 2 + 2);
  return hello;
}

describe('peekClientHello', () => {
  let withSni: Buffer;
  let withoutSni: Buffer;

  beforeAll(async () => {
    withSni = await captureClientHello('sts.us-east-1.amazonaws.com');
    withoutSni = await captureClientHello(undefined);
  });

  it('reads the SNI of a real ClientHello and returns exactly the bytes it consumed', async () => {
    const { outcome, rest } = await peekOver([withSni, Buffer.from('after')], {}, { gapMs: 30, end: true });
    expect(outcome).toEqual({ isTls: true, serverName: 'sts.us-east-1.amazonaws.com', head: withSni });
    // It stopped reading at the end of the ClientHello: the next bytes are left in the socket.
    expect(rest.toString()).toBe('after');
  });

  it('reports a ClientHello without server_name as TLS without serverName', async () => {
    const { outcome } = await peekOver([withoutSni]);
    expect(outcome).toEqual({ isTls: true, head: withoutSni });
  });

  it('reassembles a ClientHello split across TCP reads', async () => {
    const { outcome, reads } = await peekOver(split(withSni, 1, 4, 9, 200), {}, { gapMs: 25 });
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(outcome).toEqual({ isTls: true, serverName: 'sts.us-east-1.amazonaws.com', head: withSni });
  });

  it('reassembles a ClientHello dribbled a few bytes per read', async () => {
    const records = frame(handshakeOf(withSni), 700);
    const pieces = Array.from({ length: Math.ceil(records.length / 7) }, (_, i) => records.subarray(i * 7, i * 7 + 7));
    const { outcome } = await peekOver(pieces, {}, { gapMs: 1 });
    expect(outcome).toEqual({ isTls: true, serverName: 'sts.us-east-1.amazonaws.com', head: records });
  });

  it('reassembles a ClientHello spread over several TLS records, themselves split across reads', async () => {
    const records = frame(handshakeOf(withSni), 100);
    expect(records.length).toBeGreaterThan(withSni.length + 5 * 10);
    const { outcome } = await peekOver(split(records, 3, 104, 300, 700), {}, { gapMs: 20 });
    expect(outcome).toEqual({ isTls: true, serverName: 'sts.us-east-1.amazonaws.com', head: records });
  });

  it('keeps bytes that arrived in the same read as the ClientHello in head, for replay', async () => {
    const bytes = Buffer.concat([withSni, Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0xff])]);
    const { outcome } = await peekOver([bytes]);
    expect((outcome as ClientHelloPeek).head).toEqual(bytes);
  });

  it('parses a pre-TLS 1.3 ClientHello without any extensions', async () => {
    const { outcome } = await peekOver([frame(craftClientHello())]);
    expect(outcome).toMatchObject({ isTls: true });
    expect((outcome as ClientHelloPeek).serverName).toBeUndefined();
  });

  it('normalises the SNI (case, no trailing dot) and skips unknown name types', async () => {
    const hello = craftClientHello({ extensions: [serverNameExtension([7, 'opaque'], [0, 'STS.AmazonAWS.com'])] });
    const { outcome } = await peekOver([frame(hello)]);
    expect(outcome).toMatchObject({ isTls: true, serverName: 'sts.amazonaws.com' });
  });

  it('answers isTls false at once for plain HTTP', async () => {
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
    const { outcome } = await peekOver([request]);
    expect(outcome).toMatchObject({ isTls: false });
    expect(request.subarray(0, (outcome as ClientHelloPeek).head.length)).toEqual((outcome as ClientHelloPeek).head);
  });

  it('answers isTls false for an SSH banner and for a record with a non-3 major version', async () => {
    expect((await peekOver([Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')])).outcome).toMatchObject({ isTls: false });
    expect((await peekOver([Buffer.from([0x16, 0x02, 0x00, 0x00, 0x10])])).outcome).toMatchObject({ isTls: false });
  });

  it.each([
    ['an empty handshake record', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])],
    ['a record longer than 2^14', Buffer.from([0x16, 0x03, 0x01, 0x40, 0x01])],
    ['a ServerHello instead of a ClientHello', frame(craftClientHello({ handshakeType: 2 }))],
    ['a session id of 33 bytes', frame(craftClientHello({ sessionId: Buffer.alloc(33) }))],
    ['an odd cipher_suites length', frame(craftClientHello({ cipherSuites: Buffer.from([0x13, 0x01, 0x13]) }))],
    ['no compression methods', frame(craftClientHello({ compression: Buffer.alloc(0) }))],
    ['a duplicate extension', frame(craftClientHello({ extensions: [extension(10, Buffer.from([0, 0])), extension(10, Buffer.from([0, 0]))] }))],
    ['two host_names', frame(craftClientHello({ extensions: [serverNameExtension([0, 'a.example'], [0, 'b.example'])] }))],
    ['an empty server_name_list', frame(craftClientHello({ extensions: [extension(0, Buffer.from([0, 0]))] }))],
    ['a host_name with a space', frame(craftClientHello({ extensions: [serverNameExtension([0, 'evil host'])] }))],
    ['a host_name with a port', frame(craftClientHello({ extensions: [serverNameExtension([0, 'sts.amazonaws.com:443'])] }))],
    ['an extension overrunning its block', frame(overrunningExtension())],
  ])('rejects %s as CLIENT_HELLO_MALFORMED', async (_name, bytes) => {
    const { outcome } = await peekOver([bytes], { timeoutMs: 2_000 }, { end: true });
    const error = expectError(outcome, 'CLIENT_HELLO_MALFORMED');
    expect(error.received).toEqual(bytes.subarray(0, error.received.length));
  });

  it('rejects an application-data record between ClientHello fragments as CLIENT_HELLO_MALFORMED', async () => {
    const bytes = Buffer.concat([frame(handshakeOf(withSni), 100).subarray(0, 105), Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00])]);
    const { outcome } = await peekOver([bytes], { timeoutMs: 2_000 }, { end: true });
    expectError(outcome, 'CLIENT_HELLO_MALFORMED');
  });

  it('never throws on mutated ClientHellos: resolves or rejects with a ClientHelloError', async () => {
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(withSni);
      for (let j = 0; j < 8; j++) bytes[5 + Math.floor(Math.random() * (bytes.length - 5))] = randomBytes(1)[0]!;
      const { outcome } = await peekOver([bytes], { timeoutMs: 1_000 }, { end: true });
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ClientHelloError);
      else expect(outcome.isTls).toBe(true);
    }
  });

  it('rejects an oversized ClientHello as soon as its declared length exceeds maxBytes', async () => {
    const started = Date.now();
    const { outcome } = await peekOver([withSni.subarray(0, 20)], { maxBytes: 512, timeoutMs: 5_000 });
    const error = expectError(outcome, 'CLIENT_HELLO_TOO_LARGE');
    expect(error.received).toEqual(withSni.subarray(0, 20));
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects a ClientHello spread over many records once it passes maxBytes', async () => {
    const huge = craftClientHello({ extensions: [extension(21, Buffer.alloc(40_000))] });
    const { outcome } = await peekOver([frame(huge, 1000)], { maxBytes: 8 * 1024 });
    expectError(outcome, 'CLIENT_HELLO_TOO_LARGE');
  });

  it('times out on a partial ClientHello and hands back what it read', async () => {
    const { outcome } = await peekOver([withSni.subarray(0, 3)], { timeoutMs: 150 });
    expect(expectError(outcome, 'CLIENT_HELLO_TIMEOUT').received).toEqual(withSni.subarray(0, 3));
  });

  it('rejects CLIENT_HELLO_CLOSED when the client half-closes mid-ClientHello', async () => {
    const { outcome } = await peekOver([withSni.subarray(0, 100)], { timeoutMs: 2_000 }, { end: true });
    expect(expectError(outcome, 'CLIENT_HELLO_CLOSED').received).toHaveLength(100);
  });

  it('rejects CLIENT_HELLO_ABORTED when the signal fires', async () => {
    const { outcome } = await peekOver([], { timeoutMs: 2_000 }, { abortAfterMs: 50 });
    expect(expectError(outcome, 'CLIENT_HELLO_ABORTED').received).toHaveLength(0);
  });
});
