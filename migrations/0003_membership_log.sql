-- Membership history for the sync feed (docs/sync.md, src/modules/sync): a sync cursor holds only a
-- log position, and the trips a client holds follow from that position: memberships whose join is
-- at or below it, minus the leaves at or below it. Positions are (txid, seq) exactly like the
-- change log's (same txid default, seq from the changes sequence), so one cursor orders both.
CREATE TABLE "membership_log" (
	"seq" bigint PRIMARY KEY DEFAULT nextval('changes_seq_seq') NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"user_id" uuid NOT NULL,
	"trip_id" uuid NOT NULL,
	"op" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Memberships that exist already joined "before the log": position (0, 0). The defaults that give
-- new memberships their join position are set once the existing rows are filled.
ALTER TABLE "trip_members" ADD COLUMN "joined_txid" "xid8" DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "trip_members" ADD COLUMN "joined_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "trip_members" ALTER COLUMN "joined_txid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "trip_members" ALTER COLUMN "joined_seq" SET DEFAULT nextval('changes_seq_seq');--> statement-breakpoint
CREATE INDEX "membership_log_user_cursor_idx" ON "membership_log" USING btree ("user_id","txid","seq");--> statement-breakpoint
CREATE INDEX "trip_members_user_joined_idx" ON "trip_members" USING btree ("user_id","joined_txid","joined_seq","trip_id");--> statement-breakpoint
CREATE INDEX "itinerary_items_trip_idx" ON "itinerary_items" USING btree ("trip_id","id");--> statement-breakpoint
-- Every insert or delete of a membership is logged in its own transaction, whichever path made it:
-- the use cases (trip created, member added, invitation accepted, removed, left) and the cascades
-- (a trip deleted removes all its members; a user deleted, all theirs). A join is logged at the
-- membership's own join position. Role changes are not membership changes (the trip's log carries
-- them). An update moving a row to another trip or user would be a leave and a join; nothing does it.
CREATE FUNCTION stp_membership_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO membership_log (seq, txid, user_id, trip_id, op)
    VALUES (NEW.joined_seq, NEW.joined_txid, NEW.user_id, NEW.trip_id, 'join');
  ELSE
    INSERT INTO membership_log (user_id, trip_id, op) VALUES (OLD.user_id, OLD.trip_id, 'leave');
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER trip_members_membership_log AFTER INSERT OR DELETE ON trip_members
FOR EACH ROW EXECUTE FUNCTION stp_membership_log();
