-- Deliveries answered with a LINE reply token: a delivery that runs again (a worker died after
-- the reply, a session was reset) must not push the same answer a second time.
CREATE TABLE "line_replies" (
    "delivery_id" TEXT NOT NULL,
    "replied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "line_replies_pkey" PRIMARY KEY ("delivery_id")
);

CREATE INDEX "line_replies_replied_at_idx" ON "line_replies"("replied_at");
