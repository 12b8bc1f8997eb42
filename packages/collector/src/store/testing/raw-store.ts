import { DatabaseSync } from 'node:sqlite';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';

/**
 * Plain SQL access to a store file — what someone editing the file by hand
 * has. Used to tamper with stored events and check that verify() notices.
 */
export class RawStore {
  readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path, { timeout: 5_000 });
  }

  /** Rewrites an event's stored JSON in place (its hash stays as sealed). */
  editEvent(eventId: string, edit: (event: Record<string, unknown>) => void): void {
    const at = this.locate(eventId);
    const line = at.lines[at.pos] as string;
    const event = JSON.parse(line.slice(64)) as Record<string, unknown>;
    edit(event);
    at.lines[at.pos] = line.slice(0, 64) + JSON.stringify(event);
    this.db.prepare('UPDATE blocks SET data = ? WHERE id = ?').run(zstdCompressSync(Buffer.from(at.lines.join('\n'))), at.blk);
  }

  /** Deletes an event's row, as `DELETE FROM events …` would. */
  deleteEvent(eventId: string): void {
    this.db.prepare('DELETE FROM events WHERE k = ?').run(this.locate(eventId).k);
  }

  close(): void {
    this.db.close();
  }

  private locate(eventId: string): { k: number; blk: number; pos: number; lines: string[] } {
    for (const row of this.db.prepare('SELECT e.k, e.blk, e.pos, b.data FROM events e JOIN blocks b ON b.id = e.blk').iterate() as Iterable<{ k: number; blk: number; pos: number; data: Uint8Array }>) {
      const lines = zstdDecompressSync(row.data).toString('utf8').split('\n');
      if ((JSON.parse((lines[row.pos] as string).slice(64)) as { id: string }).id === eventId) return { k: row.k, blk: row.blk, pos: row.pos, lines };
    }
    throw new Error(`event ${eventId} is not stored`);
  }
}
