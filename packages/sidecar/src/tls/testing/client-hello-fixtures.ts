import net from 'node:net';
import tls from 'node:tls';

/**
 * Test helpers: real ClientHellos, captured from Node's own TLS client, and
 * ways to re-frame and craft them. Never imported by production code.
 */

/**
 * Starts a TLS client against a throwaway TCP server on 127.0.0.1 and returns
 * the first TLS record it sends: a real ClientHello. `servername` undefined
 * connects to an IP literal, for which Node sends no SNI (RFC 6066 §3).
 */
export async function captureClientHello(servername?: string): Promise<Buffer> {
  const server = net.createServer();
  const captured = new Promise<Buffer>((resolve, reject) => {
    server.once('connection', (socket) => {
      let bytes = Buffer.alloc(0);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        if (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt16BE(3)) {
          socket.destroy();
          resolve(bytes.subarray(0, 5 + bytes.readUInt16BE(3)));
        }
      });
      socket.on('close', () => reject(new Error('closed before a whole record arrived')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = tls.connect({ host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }) });
  client.on('error', () => undefined);
  try {
    return await captured;
  } finally {
    client.destroy();
    server.close();
  }
}

/** The handshake message carried by a single-record ClientHello. */
export function handshakeOf(record: Buffer): Buffer {
  return record.subarray(5, 5 + record.readUInt16BE(3));
}

/** Frames a handshake message into TLS handshake records of at most `fragmentSize` bytes each. */
export function frame(handshake: Buffer, fragmentSize = 1 << 14): Buffer {
  const records: Buffer[] = [];
  for (let offset = 0; offset < handshake.length; offset += fragmentSize) {
    const fragment = handshake.subarray(offset, offset + fragmentSize);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

/** Options of {@link craftClientHello}; each field overrides one part of a minimal valid ClientHello. */
export interface CraftOptions {
  sessionId?: Buffer;
  cipherSuites?: Buffer;
  compression?: Buffer;
  /** Raw extensions; `undefined` omits the extensions block (pre-TLS 1.3 style). */
  extensions?: Buffer[];
  /** Overrides the handshake type byte (1 = ClientHello). */
  handshakeType?: number;
}

/** Builds a ClientHello handshake message (not framed) from parts. */
export function craftClientHello(options: CraftOptions = {}): Buffer {
  const vector = (width: 1 | 2, data: Buffer): Buffer => {
    const length = Buffer.alloc(width);
    length.writeUIntBE(data.length, 0, width);
    return Buffer.concat([length, data]);
  };
  const parts = [
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7),
    vector(1, options.sessionId ?? Buffer.alloc(0)),
    vector(2, options.cipherSuites ?? Buffer.from([0x13, 0x01])),
    vector(1, options.compression ?? Buffer.from([0x00])),
  ];
  if (options.extensions !== undefined) parts.push(vector(2, Buffer.concat(options.extensions)));
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header[0] = options.handshakeType ?? 0x01;
  header.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([header, body]);
}

/** A server_name extension (RFC 6066 §3) with the given (name_type, name) entries. */
export function serverNameExtension(...names: [number, string][]): Buffer {
  const entries = Buffer.concat(
    names.map(([type, name]) => {
      const bytes = Buffer.from(name, 'latin1');
      const entry = Buffer.alloc(3);
      entry[0] = type;
      entry.writeUInt16BE(bytes.length, 1);
      return Buffer.concat([entry, bytes]);
    }),
  );
  const list = Buffer.alloc(2);
  list.writeUInt16BE(entries.length);
  return extension(0, Buffer.concat([list, entries]));
}

/** Any extension: type, then opaque data with a 2-byte length. */
export function extension(type: number, data: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(data.length, 2);
  return Buffer.concat([header, data]);
}
