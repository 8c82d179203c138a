-- The operator console (issue #16): users found by display-name substring (trigram index,
-- case-insensitive), Stripe payments and refunds recorded for revenue against model cost, and
-- day indexes for the failure and sticker-job charts.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "display_name" TEXT;

-- CreateTable
CREATE TABLE "stripe_payments" (
    "id" UUID NOT NULL,
    "source_ref" TEXT NOT NULL,
    "user_id" UUID,
    "kind" TEXT NOT NULL,
    "product_id" TEXT,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "workflow_id" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_payments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "stripe_payments_source_ref_key" ON "stripe_payments"("source_ref");

-- CreateIndex
CREATE INDEX "stripe_payments_occurred_at_idx" ON "stripe_payments"("occurred_at");

-- CreateIndex
CREATE INDEX "stripe_payments_user_id_occurred_at_idx" ON "stripe_payments"("user_id", "occurred_at");

-- CreateIndex
CREATE INDEX "line_stamp_generate_queues_created_at_idx" ON "line_stamp_generate_queues"("created_at");

-- CreateIndex
CREATE INDEX "point_reservations_created_at_idx" ON "point_reservations"("created_at");

-- CreateIndex
CREATE INDEX "users_display_name_trgm_idx" ON "users" USING GIN ("display_name" gin_trgm_ops);

-- AddForeignKey
ALTER TABLE "stripe_payments" ADD CONSTRAINT "stripe_payments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

