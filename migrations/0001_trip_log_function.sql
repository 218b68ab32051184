-- Live delivery's read of one trip's change log (src/realtime/trip-log.ts), in one round trip.
-- Returns the trip's changes after (p_after_txid, p_after_seq), in cursor order (newest first
-- when p_newest), held below a watermark no transaction *of this database* can still commit
-- behind. The statements run in this order, each with its own snapshot (VOLATILE):
--   1. snap: the running transactions now (xip);
--   2. ours: the transactions of this database running now (their transactionid locks);
--   3. the bound: the oldest transaction of snap that is one of ours or has committed since
--      (a commit marks the transaction committed before its lock is released, so checking the
--      status after reading the locks misses nothing); without one, snap's xmax;
--   4. the read. Its snapshot is later than snap, but every row below the bound was committed
--      before snap was taken, so it sees exactly what snap would.
CREATE FUNCTION stp_trip_log(p_trip uuid, p_after_txid xid8, p_after_seq bigint, p_limit integer, p_newest boolean)
RETURNS TABLE (txid text, seq bigint, trip_id uuid, entity text, entity_id uuid, op text, version integer,
               actor_id uuid, fields text[], created_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  snap pg_snapshot := pg_current_snapshot();
  ours bigint[];
  bound xid8;
BEGIN
  SELECT coalesce(array_agg(l.transactionid::text::bigint), '{}') INTO ours
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
    AND a.datname = current_database();
  SELECT min(x.x) INTO bound FROM pg_snapshot_xip(snap) AS x(x)
  WHERE (x.x::text::numeric % 4294967296)::bigint = ANY (ours) OR pg_xact_status(x.x) = 'committed';
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
