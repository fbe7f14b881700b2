import type pg from "pg";
import { changeFromRow, type ChangeRow } from "../rows";
import { StoreUnavailableError, type ChangeEvent, type ChangeKind } from "../store";
import type { PostgresAccess } from "./access";
import { FEED_LOCK_KEY } from "./locks";

/** Channel of the change-feed hint (see PostgresStore.watchChanges). */
export const CHANGES_CHANNEL = "poolgate_changes";

/** Store.prune's batch for this table: $1 the cut-off, $2 the batch size. */
export const PRUNE_OLD_CHANGES =
  "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE at_ms < $1 LIMIT $2)";

/**
 * PostgresStore's FeedStore (see ../parts/feed.ts) and the one writer of the change feed:
 * every other aggregate appends its events through `append` (PostgresAccess.appendChanges).
 * The LISTEN side of the hint is ./changeWatcher.ts.
 */
export class PostgresFeed {
  constructor(private readonly pg: PostgresAccess) {}

  async since(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    // PostgreSQL rejects a negative LIMIT; "at most -1" means none.
    const { rows } = await this.pg.query<ChangeRow>(
      "SELECT seq, kind, subject, at_ms FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
      [afterSeq, Math.max(0, limit)],
    );
    return rows.map(changeFromRow);
  }

  async latestSeq(): Promise<number> {
    const { rows } = await this.pg.query<{ seq: number }>(
      "SELECT COALESCE(MAX(seq), 0) AS seq FROM changes",
    );
    return rows[0]?.seq ?? 0;
  }

  async seqBefore(sinceMs: number): Promise<number> {
    // By time, on changes_at_ms: `MIN(seq)` is planned as a walk of the primary key from the
    // oldest event until tables are analysed (measured: 220 ms at 1M rows).
    const { rows } = await this.pg.query<{ seq: number }>(
      "SELECT seq FROM changes WHERE at_ms >= $1 ORDER BY at_ms, seq LIMIT 1",
      [sinceMs],
    );
    const first = rows[0]?.seq;
    if (first !== undefined) return first - 1;
    return this.latestSeq();
  }

  /**
   * Appends events inside the caller's transaction, then hints listeners.
   *
   * Why the lock: `seq` comes from a sequence when the row is inserted, but becomes visible
   * when the transaction commits. Two writers could take seq 10 and 11 and commit 11 first;
   * a reader polling in between sees 11, moves its cursor past 10, and never sees 10 once it
   * commits. Taking one transaction-scoped advisory lock before the insert serialises the
   * writers of `changes`: the lock is held until commit (and released only after the commit
   * is visible), so the next writer draws its seq after every lower seq has committed or
   * rolled back. Committed seqs therefore appear in seq order, and a reader's snapshot always
   * holds a prefix of the feed (rolled-back seqs are gaps that are never filled, which a
   * cursor skips harmlessly). This only holds if every insert into `changes` goes through
   * here, and takes the lock last in its transaction, after its row locks, so that the lock is
   * held only for the insert, the NOTIFY and the commit and no lock cycle can form.
   */
  async append(
    client: pg.PoolClient,
    kind: ChangeKind,
    subjects: readonly string[],
    nowMs: number,
  ): Promise<number[]> {
    await this.pg.run(client, `SELECT pg_advisory_xact_lock(${FEED_LOCK_KEY})`);
    let inserted: pg.QueryResult<{ seq: number }>;
    try {
      inserted = await this.pg.run<{ seq: number }>(
        client,
        "INSERT INTO changes (kind, subject, at_ms) " +
          "SELECT $1, subject, $3 FROM unnest($2::text[]) WITH ORDINALITY AS s (subject, n) " +
          "ORDER BY n RETURNING seq",
        [kind, [...subjects], nowMs],
      );
    } catch (err) {
      // Whatever refuses the event (a trigger, a constraint an operator added) fails the
      // write it belongs to as an outage: a change other instances cannot hear of is not applied.
      if (err instanceof StoreUnavailableError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new StoreUnavailableError(
        `the change feed refused an event${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`,
        { cause: err },
      );
    }
    const { rows } = inserted;
    const seqs = rows.map((row) => row.seq).sort((a, b) => a - b);
    // Delivered at commit, and not at all on rollback.
    await this.pg.run(client, "SELECT pg_notify($1, $2)", [
      CHANGES_CHANNEL,
      String(seqs[seqs.length - 1] ?? 0),
    ]);
    return seqs;
  }
}
