import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** What a term names: an event type, an operation (`s3:GetObject`), a decision action. */
export type TermKind = 'type' | 'op' | 'decision';

/**
 * Small integer ids for the names events repeat (operation, type, decision),
 * so rows and indexes hold one byte instead of the name, and a count per
 * term so the planner can tell a rare value from a common one. Ids are never
 * reused or deleted, so the name→id cache stays true across processes.
 */
export class TermDictionary {
  private readonly ids = new Map<string, number>();
  private readonly pending = new Map<string, { kind: TermKind; id: number; n: number }>();
  private readonly select: StatementSync;
  private readonly insert: StatementSync;
  private readonly bump: StatementSync;
  private readonly list: StatementSync;

  constructor(db: DatabaseSync) {
    this.select = db.prepare('SELECT id FROM terms WHERE kind = ? AND name = ?');
    this.insert = db.prepare('INSERT INTO terms (kind, id, name) SELECT ?1, coalesce(max(id), 0) + 1, ?2 FROM terms WHERE kind = ?1 RETURNING id');
    this.bump = db.prepare('UPDATE terms SET n = max(n + ?, 0) WHERE kind = ? AND id = ?');
    this.list = db.prepare('SELECT id, name, n FROM terms WHERE kind = ?');
  }

  /** The id of a name, created if new. Call inside the write transaction. */
  idOf(kind: TermKind, name: string): number {
    const key = `${kind}\u0000${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      const row = (this.select.get(kind, name) ?? this.insert.get(kind, name)) as { id: number };
      id = row.id;
      this.ids.set(key, id);
    }
    return id;
  }

  /** Counts `delta` events for a term; written by `flush()`. */
  count(kind: TermKind, id: number, delta: number): void {
    const key = `${kind}\u0000${id}`;
    const p = this.pending.get(key);
    if (p === undefined) this.pending.set(key, { kind, id, n: delta });
    else p.n += delta;
  }

  /** Writes the counts of this transaction. */
  flush(): void {
    for (const p of this.pending.values()) if (p.n !== 0) this.bump.run(p.n, p.kind, p.id);
    this.pending.clear();
  }

  /** Forgets what a rolled-back transaction did: its counts, and ids it may have created. */
  discard(): void {
    this.pending.clear();
    this.ids.clear();
  }

  /** Terms of a kind whose name passes `match`, with their event counts. */
  find(kind: TermKind, match: (name: string) => boolean): { ids: number[]; events: number } {
    const ids: number[] = [];
    let events = 0;
    for (const row of this.list.iterate(kind) as Iterable<{ id: number; name: string; n: number }>) {
      if (match(row.name)) {
        ids.push(row.id);
        events += row.n;
      }
    }
    return { ids, events };
  }
}
