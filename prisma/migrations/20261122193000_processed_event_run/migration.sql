-- The workflow run that claimed a LINE event: its own replays (same run) may proceed, a
-- redelivery handled by another run may not.
ALTER TABLE "processed_events" ADD COLUMN "run_id" TEXT;
