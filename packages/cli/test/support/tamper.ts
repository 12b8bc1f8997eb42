import { DatabaseSync } from 'node:sqlite';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';

/**
 * Changes a stored audit trail behind the store's back, with raw SQL on the
 * SQLite file — what an attacker with write access to the file could do.
 * Knows the store's layout (sqlite-schema.ts): `events` rows point into
 * zstd-compressed `blocks` of newline-separated lines, each line the event's
 * hash followed by its canonical JSON.
 */
export class StoreTamperer {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
  }

  /** Rewrites the stored JSON of one event (session id + seq) with `edit`, keeping its hash. */
  editEvent(session: string, seq: number, edit: (json: string) => string): void {
    const row = this.db
      .prepare('SELECT e.blk AS blk, e.pos AS pos FROM events e JOIN sessions s ON s.sid = e.sid WHERE s.id = ? AND e.seq = ?')
      .get(session, seq) as { blk: number; pos: number } | undefined;
    if (row === undefined) throw new Error(`no stored event ${session} seq ${seq}`);
    const { data } = this.db.prepare('SELECT data FROM blocks WHERE id = ?').get(row.blk) as { data: Uint8Array };
    const lines = zstdDecompressSync(data).toString('utf8').split('\n');
    const line = lines[row.pos]!;
    const edited = line.slice(0, 64) + edit(line.slice(64));
    if (edited === line) throw new Error('the edit changed nothing');
    lines[row.pos] = edited;
    this.db.prepare('UPDATE blocks SET data = ? WHERE id = ?').run(zstdCompressSync(Buffer.from(lines.join('\n'))), row.blk);
  }

  /** Removes one event's row, as if it had never been stored. */
  deleteEvent(session: string, seq: number): void {
    const r = this.db.prepare('DELETE FROM events WHERE seq = ? AND sid = (SELECT sid FROM sessions WHERE id = ?)').run(seq, session);
    if (r.changes !== 1) throw new Error(`no stored event ${session} seq ${seq}`);
  }

  close(): void {
    this.db.close();
  }
}
