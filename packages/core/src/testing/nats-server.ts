/**
 * A real nats-server with JetStream for tests, on free loopback ports. The
 * binary is the one `make e2e-build` caches (e2e/scripts/build-tools.sh is the
 * one place that knows its version and path); `AGENTRAIL_NATS_SERVER` overrides it.
 *
 * Each server runs as its own process group beside a tiny watchdog that holds
 * a pipe to this process: when the jest worker dies, however it dies, the pipe
 * closes and the watchdog SIGKILLs the server. Tests still call `stop()` in
 * `afterAll` — a jest worker outlives the test file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** How to start the server. */
export interface NatsServerOptions {
  /** JetStream store directory; default a fresh temporary one, removed by `stop()`. */
  storeDir?: string;
  /** Client port; default a free one. */
  port?: number;
  /** Deadline for each start (first start and restarts); default 30 s (CPU is shared). */
  startTimeoutMs?: number;
}

/** A running nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  /** Whether the server process is currently alive. */
  running(): boolean;
  /** Graceful stop (SIGTERM, SIGKILL after 5 s); removes a temporary store dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; the store dir stays for `restart()`. */
  kill(): Promise<void>;
  /** Starts again on the same ports with the same store dir (stopping it first if it runs). */
  restart(): Promise<void>;
}

let binary: string | undefined;

/** The nats-server binary: `AGENTRAIL_NATS_SERVER`, else the e2e build cache. */
export function natsServerBinary(): string {
  if (binary !== undefined) return binary;
  const configured = process.env.AGENTRAIL_NATS_SERVER;
  if (configured) return (binary = configured);
  let paths: Record<string, string>;
  try {
    const out = execFileSync('bash', [join(REPO_ROOT, 'e2e/scripts/build-tools.sh'), '--paths'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    paths = JSON.parse(out) as Record<string, string>;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`nats-server is not built: ${stderr.trim() || String(err)} (run 'make e2e-build')`, { cause: err });
  }
  const path = paths['nats-server'];
  if (!path) throw new Error("build-tools.sh --paths did not name nats-server (run 'make e2e-build')");
  return (binary = path);
}

/** Reserves distinct free loopback ports (all listeners stay open until every port is chosen). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      await new Promise<void>((ok, fail) => { s.once('error', fail); s.listen(0, '127.0.0.1', ok); });
      servers.push(s);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/** Processes the exit hook must kill if a test forgot to stop its server. */
const live = new Set<ChildProcess>();
function killLive(): void {
  for (const child of live) child.kill('SIGKILL');
}

class PortTaken extends Error {}

/**
 * Starts nats-server with JetStream and waits until `/healthz?js-enabled-only=true` answers 200.
 *
 * @example
 * const nats = await startNatsServer();
 * try { … connect({ servers: nats.url }) … await nats.kill(); await nats.restart(); … }
 * finally { await nats.stop(); }
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'agentrail-nats-'));
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  // A port another process grabs between our probe and nats-server's bind: try new ones.
  for (let attempt = 0; ; attempt++) {
    const [client, monitor] = await freePorts(2) as [number, number];
    const port = options.port ?? client;
    const instance = new NatsInstance(port, monitor, storeDir, ownStore, timeoutMs);
    try {
      await instance.start();
      return instance;
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 4) {
        if (ownStore) rmSync(storeDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

class NatsInstance implements NatsServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;
  private tail: string[] = [];

  constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    private readonly ownStore: boolean,
    private readonly timeoutMs: number,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    const child = spawn(natsServerBinary(), [
      '--addr', '127.0.0.1', '--port', String(this.port), '--http_port', String(this.monitorPort),
      '--jetstream', '--store_dir', this.storeDir, '--server_name', 'agentrail-test',
    ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid === undefined) throw new Error('could not start nats-server');
    this.child = child;
    live.add(child);
    if (live.size === 1) process.on('exit', killLive);
    this.tail = [];
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.tail.push(...text.split('\n').filter(Boolean));
      if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
    });
    this.exited = new Promise((ok) => child.once('exit', () => {
      live.delete(child);
      if (live.size === 0) process.off('exit', killLive);
      if (this.child === child) this.child = undefined;
      ok();
    }));
    // Kills the server's group when the pipe to this process closes (worker crash).
    this.watchdog = spawn('bash', ['-c', 'cat >/dev/null; kill -KILL -- "-$1" 2>/dev/null', 'agentrail-nats-watchdog', String(child.pid)], {
      detached: true, stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.watchdog.stdin?.on('error', () => undefined);
    this.watchdog.unref();
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const health = `http://127.0.0.1:${this.monitorPort}/healthz?js-enabled-only=true`;
    for (;;) {
      if (this.child === undefined) {
        const log = this.tail.join('\n');
        this.endWatchdog();
        if (/address already in use/i.test(log)) throw new PortTaken(log);
        throw new Error(`nats-server exited during start-up:\n${log}`);
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`nats-server did not become healthy on ${health} in time:\n${this.tail.join('\n')}`);
      }
      const ok = await fetch(health, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ok) return;
      await delay(50);
    }
  }

  private endWatchdog(): void {
    // SIGKILL, not EOF: EOF would make it signal a pid that may since have been reused.
    this.watchdog?.kill('SIGKILL');
    this.watchdog = undefined;
  }

  private async signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined) {
      try { process.kill(-child.pid, sig); } catch { /* already gone */ }
      const gone = await Promise.race([this.exited.then(() => true), delay(graceMs, false, { ref: false })]);
      if (!gone) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    await this.exited;
    this.endWatchdog();
  }

  async kill(): Promise<void> {
    await this.signal('SIGKILL', 5_000);
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('nats-server was stopped; start a new one');
    await this.signal('SIGTERM', 5_000);
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.exited;
    this.stopped = true;
    await this.signal('SIGTERM', 5_000);
    if (this.ownStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}
