// A deliberately minimal HTTP/1.1 keep-alive client for the load generator.
// Requests are whole, pre-serialised buffers (head + body, pre-signed), so a
// call costs one socket write and a scan of the response head: the generator
// stays cheap and identical for the direct and the sidecar runs. Responses must
// carry Content-Length (the upstream and the sidecar both send it); one request
// per connection at a time (no pipelining).

import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

class Connection {
  constructor(pool) {
    this.pool = pool;
    this.cb = undefined;
    this.buf = undefined;
    this.need = -1;
    this.got = 0;
    this.closeAfter = false;
    this.errorHead = false;
    this.status = 0;
    this.dropped = false;
    this.socket = net.connect({ host: pool.host, port: pool.port, noDelay: true });
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed by peer')));
  }

  send(request, cb) {
    this.cb = cb;
    this.buf = undefined;
    this.need = -1;
    this.got = 0;
    this.errorHead = false;
    this.socket.write(request);
  }

  onData(chunk) {
    if (this.cb === undefined) { this.fail(new Error('unsolicited response bytes')); return; }
    if (this.need === -1) {
      this.buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
      const end = this.buf.indexOf(HEAD_END);
      if (end === -1) {
        if (this.buf.length > 64 * 1024) this.fail(new Error('response head too large'));
        return;
      }
      const head = this.buf.toString('latin1', 0, end);
      const m = CONTENT_LENGTH.exec(head);
      if (m === null) { this.fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`)); return; }
      this.status = Number(head.slice(9, 12));
      this.closeAfter = CONNECTION_CLOSE.test(head);
      this.need = end + 4 + Number(m[1]);
      this.got = this.buf.length;
      if (this.status >= 400 && this.pool.errorBodies.length < 5) this.errorHead = true;
    } else {
      this.got += chunk.length;
      if (this.errorHead) this.buf = Buffer.concat([this.buf, chunk]);
    }
    if (this.got < this.need) return;
    if (this.got > this.need) { this.fail(new Error('bytes after the response (unexpected pipelining)')); return; }
    if (this.errorHead) { this.pool.errorBodies.push(this.buf.toString('utf8').slice(0, 600)); this.errorHead = false; }
    const cb = this.cb;
    this.cb = undefined;
    this.buf = undefined;
    if (this.closeAfter) this.drop();
    else this.pool.release(this);
    cb(undefined, this.status);
  }

  fail(err) {
    const cb = this.cb;
    this.cb = undefined;
    this.drop();
    if (cb !== undefined) cb(err, 0);
  }

  drop() {
    if (this.dropped) return;
    this.dropped = true;
    this.pool.forget(this);
    this.socket.destroy();
  }
}

export class RawPool {
  constructor(host, port, maxConnections = 64) {
    this.host = host;
    this.port = port;
    this.max = maxConnections;
    this.idle = [];
    this.all = new Set();
    this.queue = [];
    this.queueHead = 0;
    this.errorBodies = [];
    this.opened = 0;
  }

  /** cb(err, status) — called once the whole response has arrived. */
  request(buf, cb) {
    const idle = this.idle.pop();
    if (idle !== undefined) { idle.send(buf, cb); return; }
    if (this.all.size < this.max) {
      const c = new Connection(this);
      this.all.add(c);
      this.opened++;
      c.send(buf, cb);
      return;
    }
    this.queue.push(buf, cb);
  }

  release(conn) {
    if (this.queueHead < this.queue.length) {
      const buf = this.queue[this.queueHead];
      const cb = this.queue[this.queueHead + 1];
      this.queue[this.queueHead] = this.queue[this.queueHead + 1] = undefined;
      this.queueHead += 2;
      if (this.queueHead === this.queue.length) { this.queue.length = 0; this.queueHead = 0; }
      conn.send(buf, cb);
      return;
    }
    this.idle.push(conn);
  }

  forget(conn) {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
  }

  close() {
    for (const c of [...this.all]) { c.cb = undefined; c.drop(); }
    this.queue.length = 0;
    this.queueHead = 0;
  }
}
