-- stp_trip_log (0001, 0004) with a cheaper step 2: which running transactions belong to this
-- database, read from pg_stat_activity.backend_xid alone instead of pg_locks joined with
-- pg_stat_activity. pg_locks copies the whole lock table, which grows with the writes in flight:
-- under a steady stream of chat posts every live read found transactions running and took that
-- path, and the database's CPU rose with the load it was serving. backend_xid is the backend's
-- top-level transaction id, the same transactions as those transactionid locks, and it is visible
-- to every role (checked as a role without privileges, PostgreSQL 15). The reasoning of 0001 holds
-- unchanged: a commit marks the transaction committed (clog) before it leaves the proc array,
-- where backend_xid is read, so a transaction missing from `ours` because it just committed is
-- found by its status.
CREATE OR REPLACE FUNCTION stp_trip_log(p_trip uuid, p_after_txid xid8, p_after_seq bigint, p_limit integer, p_newest boolean)
RETURNS TABLE (txid text, seq bigint, trip_id uuid, entity text, entity_id uuid, op text, version integer,
               actor_id uuid, fields text[], created_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  snap pg_snapshot := pg_current_snapshot();
  ours bigint[];
  bound xid8;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_snapshot_xip(snap)) THEN
    SELECT coalesce(array_agg(a.backend_xid::text::bigint), '{}') INTO ours
    FROM pg_stat_activity a
    WHERE a.backend_xid IS NOT NULL AND a.datname = current_database();
    SELECT min(x.x) INTO bound FROM pg_snapshot_xip(snap) AS x(x)
    WHERE (x.x::text::numeric % 4294967296)::bigint = ANY (ours) OR pg_xact_status(x.x) = 'committed';
  END IF;
  bound := coalesce(bound, pg_snapshot_xmax(snap));
  IF p_newest THEN
    RETURN QUERY
      SELECT c.txid::text, c.seq, c.trip_id, c.entity, c.entity_id, c.op, c.version, c.actor_id, c.fields, c.created_at
      FROM changes c
      WHERE c.trip_id = p_trip AND (c.txid, c.seq) > (p_after_txid, p_after_seq) AND c.txid < bound
      ORDER BY c.txid DESC, c.seq DESC LIMIT p_limit;
  ELSE
    RETURN QUERY
      SELECT c.txid::text, c.seq, c.trip_id, c.entity, c.entity_id, c.op, c.version, c.actor_id, c.fields, c.created_at
      FROM changes c
      WHERE c.trip_id = p_trip AND (c.txid, c.seq) > (p_after_txid, p_after_seq) AND c.txid < bound
      ORDER BY c.txid, c.seq LIMIT p_limit;
  END IF;
END
$$;
