-- Trip detail and the trip list are kept answers, checked on every read against a fingerprint of
-- the rows they are presented from (src/http/response-cache.ts): the trip, its memberships, and
-- the users those name (creator, members, inviters). These triggers write a new version of the
-- trip row, in the same transaction, whenever one of its memberships or one of those users
-- changes, so a fingerprint reads the trip row alone. Joining the members and their users on every
-- read made trip detail's fingerprint twice the cost of a primary-key read in PostgreSQL
-- (pgbench), and most of the trip list's. The update sets a column to its own value: a new row
-- version (new xmin and ctid, which the fingerprints read) that changes nothing presented and not
-- the trip's `version` (what clients and sync see). Whoever writes (the API, a restore, a hand
-- edit) goes through these triggers; the tests change rows underneath the API on purpose.
CREATE INDEX "trips_creator_idx" ON "trips" USING btree ("creator_id") WHERE "trips"."creator_id" is not null;--> statement-breakpoint
CREATE INDEX "trip_members_invited_by_idx" ON "trip_members" USING btree ("invited_by_id") WHERE "trip_members"."invited_by_id" is not null;--> statement-breakpoint
-- A membership joined, left, or changed (role, inviter, version). A trip being deleted takes its
-- memberships with it: by then its row is gone and the update finds nothing.
CREATE FUNCTION stp_trip_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE trips SET updated_at = updated_at WHERE id = OLD.trip_id;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.trip_id IS DISTINCT FROM OLD.trip_id) THEN
    UPDATE trips SET updated_at = updated_at WHERE id = NEW.trip_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER stp_trip_members_changed AFTER INSERT OR UPDATE OR DELETE ON trip_members
  FOR EACH ROW EXECUTE FUNCTION stp_trip_members_changed();
--> statement-breakpoint
-- A user changed in a way a trip presents (src/modules/users/presenter.ts reads these columns;
-- a password change is not one): every trip that names them. Their rows are locked in id order
-- first, so two such updates sharing trips queue instead of deadlocking. A login changes
-- last_login, which trips present: it writes one row per trip of the user, in the login's
-- statement. (A deleted user's memberships, creators and inviters are changed by the foreign
-- keys' cascades, which the membership trigger and the trip row's own update cover.)
CREATE FUNCTION stp_trip_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM trips WHERE id IN (
      SELECT trip_id FROM trip_members WHERE user_id = NEW.id
      UNION SELECT trip_id FROM trip_members WHERE invited_by_id = NEW.id
      UNION SELECT id FROM trips WHERE creator_id = NEW.id)
    ORDER BY id FOR NO KEY UPDATE;
  UPDATE trips SET updated_at = updated_at WHERE id IN (
      SELECT trip_id FROM trip_members WHERE user_id = NEW.id
      UNION SELECT trip_id FROM trip_members WHERE invited_by_id = NEW.id
      UNION SELECT id FROM trips WHERE creator_id = NEW.id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER stp_trip_people_changed AFTER UPDATE ON users
  FOR EACH ROW WHEN (
    (OLD.id, OLD.email, OLD.username, OLD.first_name, OLD.last_name, OLD.bio, OLD.avatar_key,
     OLD.date_joined, OLD.last_login, OLD.version, OLD.created_at, OLD.updated_at)
    IS DISTINCT FROM
    (NEW.id, NEW.email, NEW.username, NEW.first_name, NEW.last_name, NEW.bio, NEW.avatar_key,
     NEW.date_joined, NEW.last_login, NEW.version, NEW.created_at, NEW.updated_at))
  EXECUTE FUNCTION stp_trip_people_changed();
