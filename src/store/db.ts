import Database from 'better-sqlite3';

/**
 * The cloud's state: plain JSON documents in SQLite (WAL), one row per resource, keyed by kind (e.g.
 * `ec2.keyPair`), scope (a region, or `global`) and id. Services own their kinds. Time series that a document per
 * row would not serve (CloudWatch's metric samples, rollups and alarm history; SNS deliveries) keep tables of their
 * own in the same database, created and owned by their service. What lives only while the process runs (queues,
 * probes, the runtime) is in the cloud's live state instead (`cloud.live`, store/live.ts), never in module-level maps.
 */
export class Store {
  readonly db: Database.Database;
  private readonly stmts;
  /**
   * Runs a function in a transaction (a savepoint when one is open). Made once: better-sqlite3 builds four wrappers
   * for each function it is given, which cost more than a small transaction itself.
   */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS resources (
        kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (kind, scope, id)
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
    this.stmts = {
      get: this.db.prepare<[string, string, string], { data: string }>(
        'SELECT data FROM resources WHERE kind = ? AND scope = ? AND id = ?',
      ),
      put: this.db.prepare(
        'INSERT INTO resources (kind, scope, id, data) VALUES (?, ?, ?, ?) ON CONFLICT (kind, scope, id) DO UPDATE SET data = excluded.data',
      ),
      insert: this.db.prepare('INSERT INTO resources (kind, scope, id, data) VALUES (?, ?, ?, ?)'),
      del: this.db.prepare('DELETE FROM resources WHERE kind = ? AND scope = ? AND id = ?'),
      list: this.db.prepare<[string, string], { data: string }>('SELECT data FROM resources WHERE kind = ? AND scope = ? ORDER BY rowid'),
      listRange: this.db.prepare<[string, string, string, string], { data: string }>(
        'SELECT data FROM resources WHERE kind = ? AND scope = ? AND id >= ? AND id < ? ORDER BY rowid',
      ),
      listAll: this.db.prepare<[string], { scope: string; data: string }>('SELECT scope, data FROM resources WHERE kind = ?'),
      metaGet: this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      metaPut: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  table<T>(kind: string): Table<T> {
    return new Table<T>(this, kind);
  }

  /** Runs fn in one transaction: all of its writes land, or none. */
  tx<R>(fn: () => R): R {
    return this.inTransaction(fn) as R;
  }

  meta(key: string): string | undefined {
    return this.stmts.metaGet.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaPut.run(key, value);
  }

  close(): void {
    this.db.close();
  }

  /** @internal */
  get statements() {
    return this.stmts;
  }
}

export class Table<T> {
  constructor(
    private readonly store: Store,
    readonly kind: string,
  ) {}

  get(scope: string, id: string): T | undefined {
    const row = this.store.statements.get.get(this.kind, scope, id);
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  put(scope: string, id: string, value: T): T {
    this.store.statements.put.run(this.kind, scope, id, JSON.stringify(value));
    return value;
  }

  /** The document as stored (its JSON text), for a caller that keeps the text to see later whether it changed. */
  getText(scope: string, id: string): string | undefined {
    return this.store.statements.get.get(this.kind, scope, id)?.data;
  }

  /** Writes a document already serialized (`JSON.stringify` of a T). */
  putText(scope: string, id: string, json: string): void {
    this.store.statements.put.run(this.kind, scope, id, json);
  }

  /** Inserts, returning false when the id is taken (nothing is overwritten). */
  insert(scope: string, id: string, value: T): boolean {
    try {
      this.store.statements.insert.run(this.kind, scope, id, JSON.stringify(value));
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  delete(scope: string, id: string): boolean {
    return this.store.statements.del.run(this.kind, scope, id).changes > 0;
  }

  list(scope: string): T[] {
    return this.store.statements.list.all(this.kind, scope).map((r) => JSON.parse(r.data) as T);
  }

  /** The documents of a scope whose id starts with `prefix`, read through the key (not a scan of the scope). */
  listByIdPrefix(scope: string, prefix: string): T[] {
    if (!prefix) return this.list(scope);
    // Every id starting with the prefix sorts between it and the prefix with its last character's code point + 1.
    const last = prefix.codePointAt(prefix.length - 1) ?? 0;
    const end = prefix.slice(0, -1) + String.fromCodePoint(last + 1);
    return this.store.statements.listRange.all(this.kind, scope, prefix, end).map((r) => JSON.parse(r.data) as T);
  }

  /** Every document of this kind in every scope. */
  listAll(): Array<{ scope: string; value: T }> {
    return this.store.statements.listAll.all(this.kind).map((r) => ({ scope: r.scope, value: JSON.parse(r.data) as T }));
  }
}
