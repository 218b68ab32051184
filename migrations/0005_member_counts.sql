CREATE TABLE "member_counts" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"trips" integer NOT NULL
);
--> statement-breakpoint
-- How many trips each user belongs to (src/db/schema/trips.ts, memberCounts): the trip list's
-- total and its fingerprint read one row instead of counting the user's memberships, which grew
-- with them. Kept by this trigger in the transaction of every join and leave, cascades included
-- (a deleted trip's or user's memberships). A row that reaches zero goes, so a deleted user
-- leaves nothing behind. Two joins of one user queue on the row's lock; a deadlock between two
-- multi-user writes is retried by the unit of work like any other.
INSERT INTO "member_counts" ("user_id", "trips")
  SELECT "user_id", count(*)::integer FROM "trip_members" GROUP BY "user_id";
--> statement-breakpoint
CREATE FUNCTION stp_member_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE member_counts SET trips = trips - 1 WHERE user_id = OLD.user_id;
    DELETE FROM member_counts WHERE user_id = OLD.user_id AND trips <= 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO member_counts (user_id, trips) VALUES (NEW.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET trips = member_counts.trips + 1;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER stp_member_count AFTER INSERT OR DELETE OR UPDATE OF user_id ON trip_members
  FOR EACH ROW EXECUTE FUNCTION stp_member_count();
