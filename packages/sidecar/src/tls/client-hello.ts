import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { ClientHelloError } from './errors.js';
import { normalizeHost } from './hostname.js';

/** What {@link peekClientHello} learned from the first bytes of a connection. */
export interface ClientHelloPeek {
  /** True when the bytes are a TLS ClientHello, false when they are not TLS at all. */
  isTls: boolean;
  /**
   * The SNI host name (RFC 6066 §3) in normal form: lowercase, no trailing dot.
   * Absent when the ClientHello carries no server_name extension.
   */
  serverName?: string;
  /**
   * Every byte consumed from the socket, in order. The connection's next
   * consumer must see them first: `socket.unshift(head)` before handing the
   * socket on, or write them to the upstream of a tunnel.
   */
  head: Buffer;
}

/** Bounds of {@link peekClientHello}. */
export interface PeekClientHelloOptions {
  /** Give up (reject `CLIENT_HELLO_TIMEOUT`) after this long. Default 10 s. */
  timeoutMs?: number;
  /**
   * Most bytes read before giving up (`CLIENT_HELLO_TOO_LARGE`). Default 64 KiB:
   * ClientHellos are typically under 2 KiB, a few KiB with post-quantum key
   * shares or large session tickets.
   */
  maxBytes?: number;
  /** Aborts the peek (reject `CLIENT_HELLO_ABORTED`), e.g. when the server spoke first. */
  signal?: AbortSignal;
}

const RECORD_HEADER = 5;
const CONTENT_TYPE_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST_NAME = 0x00;
/** RFC 8446 §5.1: a TLSPlaintext fragment never exceeds 2^14 bytes. */
const MAX_RECORD_FRAGMENT = 1 << 14;

type Inspection =
  /** Not enough bytes yet; nothing can change before the buffer holds `need` bytes. */
  | { readonly kind: 'more'; readonly need: number }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'client-hello'; readonly serverName: string | undefined }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'too-large' };

/**
 * Reads the first bytes of `socket` just far enough to tell whether they are a
 * TLS ClientHello and, if so, which server name (SNI) it asks for — without
 * taking part in the handshake, so the connection can still be terminated or
 * spliced through untouched.
 *
 * Reassembles a ClientHello split across TCP reads and across several TLS
 * records (RFC 8446 §5.1 lets a handshake message span records). Resolves
 * `isTls: false` as soon as the first bytes cannot start a TLS handshake record.
 * Never throws synchronously; rejects only with {@link ClientHelloError}, whose
 * `received` holds the bytes consumed so far. Leaves the socket paused, with
 * its listeners as they were; the caller keeps its own `'error'` handler.
 *
 * @example
 * const { isTls, serverName, head } = await peekClientHello(socket, { timeoutMs: 5_000 });
 * socket.unshift(head);
 */
export function peekClientHello(socket: Readable, options: PeekClientHelloOptions = {}): Promise<ClientHelloPeek> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const { signal } = options;

  return new Promise<ClientHelloPeek>((resolve, reject) => {
    // Chunks are joined only when a parse step can make progress, so a client
    // dribbling one byte per segment costs O(n), not O(n²).
    let chunks: Buffer[] = [];
    let length = 0;
    let need = 1;
    let settled = false;
    const received = (): Buffer => {
      if (chunks.length > 1) chunks = [Buffer.concat(chunks, length)];
      return chunks[0] ?? Buffer.alloc(0);
    };

    const finish = (outcome: ClientHelloPeek | ClientHelloError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      socket.pause();
      if (outcome instanceof ClientHelloError) reject(outcome);
      else resolve(outcome);
    };
    const fail = (code: ClientHelloError['code'], message: string, cause?: unknown): void =>
      finish(new ClientHelloError(code, message, received(), cause === undefined ? undefined : { cause }));

    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      length += bytes.length;
      if (length < need) {
        if (length >= maxBytes) fail('CLIENT_HELLO_TOO_LARGE', `ClientHello exceeds ${maxBytes} bytes`);
        return undefined;
      }
      const head = received();
      const inspection = inspect(head, maxBytes);
      switch (inspection.kind) {
        case 'not-tls':
          return finish({ isTls: false, head });
        case 'client-hello':
          return finish(
            inspection.serverName === undefined
              ? { isTls: true, head }
              : { isTls: true, serverName: inspection.serverName, head },
          );
        case 'malformed':
          return fail('CLIENT_HELLO_MALFORMED', `malformed ClientHello: ${inspection.reason}`);
        case 'too-large':
          return fail('CLIENT_HELLO_TOO_LARGE', `ClientHello exceeds ${maxBytes} bytes`);
        case 'more':
          need = inspection.need;
          if (length >= maxBytes) fail('CLIENT_HELLO_TOO_LARGE', `ClientHello exceeds ${maxBytes} bytes`);
          return undefined;
      }
    };
    const onEnd = (): void =>
      fail('CLIENT_HELLO_CLOSED', `connection closed after ${length} bytes, before a complete ClientHello`);
    const onError = (err: Error): void => fail('CLIENT_HELLO_SOCKET_ERROR', `socket error while reading ClientHello: ${err.message}`, err);
    const onAbort = (): void => fail('CLIENT_HELLO_ABORTED', 'ClientHello peek aborted', signal?.reason);

    const timer = setTimeout(
      () => fail('CLIENT_HELLO_TIMEOUT', `no complete ClientHello within ${timeoutMs} ms (${length} bytes)`),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    if (socket.readableEnded || socket.destroyed) return onEnd();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.on('error', onError);
    // A socket paused earlier (or holding unshifted bytes) only flows on resume().
    socket.resume();
    return undefined;
  });
}

/**
 * Incremental parse of the record layer (RFC 8446 §5.1) and the ClientHello
 * handshake message (§4.1.2, same layout in TLS 1.0–1.2, RFC 5246 §7.4.1.2).
 * Pure: called again with the grown buffer on every read.
 */
function inspect(buffer: Buffer, maxBytes: number): Inspection {
  // The first record decides whether this is TLS at all: handshake content type, major version 3.
  if (buffer.length >= 1 && buffer[0] !== CONTENT_TYPE_HANDSHAKE) return { kind: 'not-tls' };
  if (buffer.length >= 2 && buffer[1] !== 0x03) return { kind: 'not-tls' };

  const fragments: Buffer[] = [];
  let handshakeLength = 0;
  let offset = 0;
  for (;;) {
    if (buffer.length < offset + RECORD_HEADER) return { kind: 'more', need: offset + RECORD_HEADER };
    if (buffer[offset] !== CONTENT_TYPE_HANDSHAKE || buffer[offset + 1] !== 0x03) {
      // A later record that is not handshake interrupts the ClientHello (§5.1: no interleaving).
      return { kind: 'malformed', reason: `unexpected record type ${buffer[offset]} before the ClientHello was complete` };
    }
    const fragmentLength = buffer.readUInt16BE(offset + 3);
    if (fragmentLength === 0 || fragmentLength > MAX_RECORD_FRAGMENT) {
      return { kind: 'malformed', reason: `handshake record length ${fragmentLength}` };
    }
    const recordEnd = offset + RECORD_HEADER + fragmentLength;
    if (recordEnd > maxBytes) return { kind: 'too-large' };
    if (buffer.length < recordEnd) return { kind: 'more', need: recordEnd };
    fragments.push(buffer.subarray(offset + RECORD_HEADER, recordEnd));
    handshakeLength += fragmentLength;
    offset = recordEnd;

    if (handshakeLength < 4) continue;
    const handshake = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
    if (handshake[0] !== HANDSHAKE_CLIENT_HELLO) {
      return { kind: 'malformed', reason: `first handshake message has type ${handshake[0]}, not ClientHello` };
    }
    const bodyLength = handshake.readUIntBE(1, 3);
    // Each further record costs a header: a bound that is exact for one record, close for several.
    if (4 + bodyLength + RECORD_HEADER > maxBytes) return { kind: 'too-large' };
    if (handshakeLength < 4 + bodyLength) continue;
    return parseClientHelloBody(handshake.subarray(4, 4 + bodyLength));
  }
}

class Truncated extends Error {}

/** Bounds-checked reader over one vector of the ClientHello. */
class Reader {
  #offset = 0;
  constructor(private readonly bytes: Buffer) {}

  get remaining(): number {
    return this.bytes.length - this.#offset;
  }
  uint(width: 1 | 2): number {
    if (this.remaining < width) throw new Truncated();
    const value = width === 1 ? this.bytes[this.#offset]! : this.bytes.readUInt16BE(this.#offset);
    this.#offset += width;
    return value;
  }
  take(length: number): Buffer {
    if (this.remaining < length) throw new Truncated();
    const slice = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }
  /** A TLS variable-length vector: a `width`-byte length, then that many bytes (RFC 8446 §3.4). */
  vector(width: 1 | 2): Reader {
    return new Reader(this.take(this.uint(width)));
  }
}

function parseClientHelloBody(body: Buffer): Inspection {
  try {
    const hello = new Reader(body);
    hello.take(2 + 32); // legacy_version, random
    if (hello.vector(1).remaining > 32) return { kind: 'malformed', reason: 'legacy_session_id longer than 32 bytes' };
    const suites = hello.vector(2).remaining;
    if (suites < 2 || suites % 2 !== 0) return { kind: 'malformed', reason: 'cipher_suites length' };
    if (hello.vector(1).remaining < 1) return { kind: 'malformed', reason: 'empty legacy_compression_methods' };
    // Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2): no extensions, no SNI.
    if (hello.remaining === 0) return { kind: 'client-hello', serverName: undefined };
    const extensions = hello.vector(2);
    if (hello.remaining !== 0) return { kind: 'malformed', reason: 'bytes after extensions' };

    const seen = new Set<number>();
    let serverName: string | undefined;
    while (extensions.remaining > 0) {
      const type = extensions.uint(2);
      const data = extensions.vector(2);
      // RFC 8446 §4.2: an extension type appears at most once.
      if (seen.has(type)) return { kind: 'malformed', reason: `duplicate extension ${type}` };
      seen.add(type);
      if (type !== EXTENSION_SERVER_NAME) continue;
      const parsed = parseServerName(data);
      if (parsed.kind !== 'sni') return parsed;
      serverName = parsed.name;
    }
    return { kind: 'client-hello', serverName };
  } catch (err) {
    if (err instanceof Truncated) return { kind: 'malformed', reason: 'a length field overruns its enclosing vector' };
    throw err;
  }
}

/**
 * RFC 6066 §3 ServerNameList: at most one host_name, an ASCII host name
 * without trailing dot. Other name types (none are defined) are skipped; they
 * share the opaque<1..2^16-1> layout in every implementation.
 */
function parseServerName(data: Reader): { kind: 'sni'; name: string | undefined } | Inspection {
  const list = data.vector(2);
  if (data.remaining !== 0) return { kind: 'malformed', reason: 'bytes after server_name_list' };
  if (list.remaining === 0) return { kind: 'malformed', reason: 'empty server_name_list' };
  let name: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.uint(1);
    const value = list.vector(2);
    if (nameType !== NAME_TYPE_HOST_NAME) continue;
    if (name !== undefined) return { kind: 'malformed', reason: 'more than one host_name' };
    const raw = value.take(value.remaining).toString('latin1');
    // Printable ASCII only; a colon only inside an IPv6 literal, never as a port.
    const normal = /^[\x21-\x7e]+$/.test(raw) && (!raw.includes(':') || isIP(raw) === 6) ? normalizeHost(raw) : undefined;
    if (normal === undefined) return { kind: 'malformed', reason: 'host_name is not a host name' };
    name = normal;
  }
  return { kind: 'sni', name };
}
