-- The trip list's default ordering (its trips' creation, newest first) read from the membership
-- row (src/db/schema/trips.ts, tripMembers.tripCreatedAt): the page is a range scan of the
-- user's memberships in that order, stopping at the page's end. Ordered by trips.created_at the
-- planner sorted every trip of the user (1,000 trips: twice the time of 10) or walked every trip
-- there is. Existing rows take their trip's value here; new ones from the trigger below.
ALTER TABLE "trip_members" ADD COLUMN "trip_created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
UPDATE "trip_members" m SET "trip_created_at" = t."created_at" FROM "trips" t WHERE t."id" = m."trip_id";--> statement-breakpoint
CREATE INDEX "trip_members_user_trip_created_idx" ON "trip_members" USING btree ("user_id","trip_created_at","trip_id");--> statement-breakpoint
-- Every membership insert, whoever writes it (the API, the seeds, a restore), takes its trip's
-- creation time; the trip row exists (foreign key), and its primary key finds it.
CREATE FUNCTION stp_member_trip_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT created_at INTO NEW.trip_created_at FROM trips WHERE id = NEW.trip_id;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER stp_member_trip_created BEFORE INSERT OR UPDATE OF trip_id ON trip_members
  FOR EACH ROW EXECUTE FUNCTION stp_member_trip_created();
--> statement-breakpoint
-- The API never changes a trip's created_at, but a hand edit or a data fix may: the copies follow.
CREATE FUNCTION stp_trip_created_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE trip_members SET trip_created_at = NEW.created_at WHERE trip_id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER stp_trip_created_changed AFTER UPDATE OF created_at ON trips
  FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION stp_trip_created_changed();
