-- The durable LINE inbox (issue #12): the webhook's one INSERT, the relay's scan, the purge.
-- CreateTable
CREATE TABLE "line_inbox_events" (
    "id" BIGSERIAL NOT NULL,
    "webhook_event_id" TEXT NOT NULL,
    "line_user_id" TEXT NOT NULL,
    "task_queue" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "relayed_at" TIMESTAMPTZ(3),
    "given_up_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "line_inbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "line_inbox_events_webhook_event_id_key" ON "line_inbox_events"("webhook_event_id");

-- CreateIndex
CREATE INDEX "line_inbox_events_task_queue_relayed_at_given_up_at_id_idx" ON "line_inbox_events"("task_queue", "relayed_at", "given_up_at", "id");

-- CreateIndex
CREATE INDEX "line_inbox_events_received_at_idx" ON "line_inbox_events"("received_at");

