-- CreateEnum
CREATE TYPE "chat_role" AS ENUM ('user', 'assistant', 'system');

-- CreateEnum
CREATE TYPE "point_log_reason" AS ENUM ('grant', 'offset', 'charge', 'adjust', 'expire_cleanup', 'refund');

-- CreateEnum
CREATE TYPE "reservation_status" AS ENUM ('held', 'settled', 'released');

-- CreateEnum
CREATE TYPE "usage_io_type" AS ENUM ('in', 'out', 'search');

-- CreateEnum
CREATE TYPE "stamp_queue_status" AS ENUM ('awaiting_messages', 'queued', 'processing', 'completed', 'failed', 'cancelled', 'expired');

-- CreateEnum
CREATE TYPE "stamp_source" AS ENUM ('line', 'http');

-- CreateEnum
CREATE TYPE "stamp_image_kind" AS ENUM ('sticker', 'main', 'tab', 'zip');

-- CreateEnum
CREATE TYPE "event_source" AS ENUM ('line', 'stripe');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "line_user_id" TEXT NOT NULL,
    "stripe_customer_id" TEXT,
    "stripe_subscription_id" TEXT,
    "plan_id" TEXT NOT NULL DEFAULT 'free',
    "plan_period_end" TIMESTAMPTZ(3),
    "custom_prompt" TEXT,
    "conversation_started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "tokens_used" BIGINT NOT NULL DEFAULT 0,
    "message_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chat_archives" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "turn_id" TEXT NOT NULL,
    "role" "chat_role" NOT NULL,
    "content" TEXT NOT NULL,
    "token_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chat_archives_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prompt_archives" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "prompt" TEXT,
    "turn_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prompt_archives_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "point_lots" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "source_ref" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_lots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "point_ledger_logs" (
    "id" BIGSERIAL NOT NULL,
    "user_id" UUID NOT NULL,
    "lot_id" UUID NOT NULL,
    "delta" INTEGER NOT NULL,
    "lot_amount_after" INTEGER NOT NULL,
    "lot_expires_at" TIMESTAMPTZ(3),
    "reason" "point_log_reason" NOT NULL,
    "ref" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_ledger_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "point_reservations" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "turn_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "status" "reservation_status" NOT NULL DEFAULT 'held',
    "usage_date" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_reservations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "point_grants" (
    "id" UUID NOT NULL,
    "source_ref" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "points" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_grants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_records" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "turn_id" TEXT NOT NULL,
    "io_type" "usage_io_type" NOT NULL,
    "model" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "tokens" INTEGER,
    "search_count" INTEGER,
    "dollars" DECIMAL(18,8) NOT NULL,
    "yen" DECIMAL(18,8) NOT NULL,
    "points" INTEGER NOT NULL,
    "dollar_per_token" DECIMAL(24,12),
    "dollar_per_search" DECIMAL(24,12),
    "yen_per_dollar" DECIMAL(24,12) NOT NULL,
    "points_per_yen" DECIMAL(24,12) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "openai_usages" (
    "id" UUID NOT NULL,
    "usage" JSONB NOT NULL,
    "metadata" JSONB NOT NULL,
    "user_id" UUID,
    "turn_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "openai_usages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ai_chat_usage_logs" (
    "id" SERIAL NOT NULL,
    "user_id" UUID NOT NULL,
    "usage_date" DATE NOT NULL,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ai_chat_usage_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "line_stamp_generate_queues" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "image_uri" TEXT NOT NULL,
    "image_type" TEXT NOT NULL,
    "image_exif" JSONB,
    "consumed_at" TIMESTAMPTZ(3),
    "status" "stamp_queue_status" NOT NULL DEFAULT 'awaiting_messages',
    "source" "stamp_source" NOT NULL,
    "workflow_id" TEXT,
    "failure_reason" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_stamp_generate_queues_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "line_stamp_generate_queue_messages" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "line_stamp_generate_queue_id" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "order_priority" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_stamp_generate_queue_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "line_stamp_images" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "line_stamp_generate_queue_id" UUID NOT NULL,
    "line_stamp_generate_queue_message_id" UUID,
    "image_uri" TEXT NOT NULL,
    "kind" "stamp_image_kind" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_stamp_images_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "line_stamp_tickets" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "source_ref" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_stamp_tickets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "line_stamp_ticket_consumptions" (
    "id" UUID NOT NULL,
    "line_stamp_generate_queue_id" UUID NOT NULL,
    "line_stamp_ticket_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_stamp_ticket_consumptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_settings" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "copy_chat_on_message_delete_mode" BOOLEAN NOT NULL DEFAULT false,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_settings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "privileged_users" (
    "id" UUID NOT NULL,
    "line_user_id" TEXT NOT NULL,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "privileged_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_events" (
    "id" UUID NOT NULL,
    "source" "event_source" NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "workflow_id" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin_audit_logs" (
    "id" UUID NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_user_id" UUID,
    "before" JSONB,
    "after" JSONB,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "admin_audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "system_checks" (
    "id" UUID NOT NULL,
    "check_id" TEXT NOT NULL,
    "writes" INTEGER NOT NULL DEFAULT 1,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "system_checks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_line_user_id_key" ON "users"("line_user_id");

-- CreateIndex
CREATE UNIQUE INDEX "users_stripe_customer_id_key" ON "users"("stripe_customer_id");

-- CreateIndex
CREATE INDEX "chat_archives_user_id_created_at_idx" ON "chat_archives"("user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "chat_archives_turn_id_role_key" ON "chat_archives"("turn_id", "role");

-- CreateIndex
CREATE UNIQUE INDEX "prompt_archives_turn_id_key" ON "prompt_archives"("turn_id");

-- CreateIndex
CREATE INDEX "prompt_archives_user_id_created_at_idx" ON "prompt_archives"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "point_lots_user_id_expires_at_idx" ON "point_lots"("user_id", "expires_at");

-- CreateIndex
CREATE INDEX "point_ledger_logs_user_id_id_idx" ON "point_ledger_logs"("user_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "point_reservations_turn_id_key" ON "point_reservations"("turn_id");

-- CreateIndex
CREATE INDEX "point_reservations_user_id_status_idx" ON "point_reservations"("user_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "point_grants_source_ref_key" ON "point_grants"("source_ref");

-- CreateIndex
CREATE INDEX "point_grants_user_id_created_at_idx" ON "point_grants"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "usage_records_user_id_created_at_idx" ON "usage_records"("user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "usage_records_turn_id_io_type_key" ON "usage_records"("turn_id", "io_type");

-- CreateIndex
CREATE UNIQUE INDEX "openai_usages_turn_id_key" ON "openai_usages"("turn_id");

-- CreateIndex
CREATE INDEX "openai_usages_user_id_created_at_idx" ON "openai_usages"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "ai_chat_usage_logs_usage_date_idx" ON "ai_chat_usage_logs"("usage_date");

-- CreateIndex
CREATE UNIQUE INDEX "ai_chat_usage_logs_user_id_usage_date_key" ON "ai_chat_usage_logs"("user_id", "usage_date");

-- CreateIndex
CREATE INDEX "line_stamp_generate_queues_user_id_status_idx" ON "line_stamp_generate_queues"("user_id", "status");

-- CreateIndex
CREATE INDEX "line_stamp_generate_queue_messages_line_stamp_generate_queu_idx" ON "line_stamp_generate_queue_messages"("line_stamp_generate_queue_id", "order_priority");

-- CreateIndex
CREATE INDEX "line_stamp_generate_queue_messages_user_id_idx" ON "line_stamp_generate_queue_messages"("user_id");

-- CreateIndex
CREATE INDEX "line_stamp_images_line_stamp_generate_queue_message_id_idx" ON "line_stamp_images"("line_stamp_generate_queue_message_id");

-- CreateIndex
CREATE INDEX "line_stamp_images_user_id_idx" ON "line_stamp_images"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "line_stamp_images_line_stamp_generate_queue_id_image_uri_key" ON "line_stamp_images"("line_stamp_generate_queue_id", "image_uri");

-- CreateIndex
CREATE INDEX "line_stamp_tickets_user_id_idx" ON "line_stamp_tickets"("user_id");

-- CreateIndex
CREATE INDEX "line_stamp_tickets_source_ref_idx" ON "line_stamp_tickets"("source_ref");

-- CreateIndex
CREATE UNIQUE INDEX "line_stamp_ticket_consumptions_line_stamp_generate_queue_id_key" ON "line_stamp_ticket_consumptions"("line_stamp_generate_queue_id");

-- CreateIndex
CREATE UNIQUE INDEX "line_stamp_ticket_consumptions_line_stamp_ticket_id_key" ON "line_stamp_ticket_consumptions"("line_stamp_ticket_id");

-- CreateIndex
CREATE INDEX "line_stamp_ticket_consumptions_user_id_idx" ON "line_stamp_ticket_consumptions"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_settings_user_id_key" ON "user_settings"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "privileged_users_line_user_id_key" ON "privileged_users"("line_user_id");

-- CreateIndex
CREATE INDEX "processed_events_received_at_idx" ON "processed_events"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "processed_events_source_event_id_key" ON "processed_events"("source", "event_id");

-- CreateIndex
CREATE INDEX "admin_audit_logs_target_user_id_created_at_idx" ON "admin_audit_logs"("target_user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "system_checks_check_id_key" ON "system_checks"("check_id");

-- AddForeignKey
ALTER TABLE "chat_archives" ADD CONSTRAINT "chat_archives_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prompt_archives" ADD CONSTRAINT "prompt_archives_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_lots" ADD CONSTRAINT "point_lots_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_ledger_logs" ADD CONSTRAINT "point_ledger_logs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_reservations" ADD CONSTRAINT "point_reservations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_grants" ADD CONSTRAINT "point_grants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "openai_usages" ADD CONSTRAINT "openai_usages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ai_chat_usage_logs" ADD CONSTRAINT "ai_chat_usage_logs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_generate_queues" ADD CONSTRAINT "line_stamp_generate_queues_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_generate_queue_messages" ADD CONSTRAINT "line_stamp_generate_queue_messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_generate_queue_messages" ADD CONSTRAINT "line_stamp_generate_queue_messages_line_stamp_generate_que_fkey" FOREIGN KEY ("line_stamp_generate_queue_id") REFERENCES "line_stamp_generate_queues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_images" ADD CONSTRAINT "line_stamp_images_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_images" ADD CONSTRAINT "line_stamp_images_line_stamp_generate_queue_id_fkey" FOREIGN KEY ("line_stamp_generate_queue_id") REFERENCES "line_stamp_generate_queues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_images" ADD CONSTRAINT "line_stamp_images_line_stamp_generate_queue_message_id_fkey" FOREIGN KEY ("line_stamp_generate_queue_message_id") REFERENCES "line_stamp_generate_queue_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_tickets" ADD CONSTRAINT "line_stamp_tickets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_ticket_consumptions" ADD CONSTRAINT "line_stamp_ticket_consumptions_line_stamp_generate_queue_i_fkey" FOREIGN KEY ("line_stamp_generate_queue_id") REFERENCES "line_stamp_generate_queues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_ticket_consumptions" ADD CONSTRAINT "line_stamp_ticket_consumptions_line_stamp_ticket_id_fkey" FOREIGN KEY ("line_stamp_ticket_id") REFERENCES "line_stamp_tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "line_stamp_ticket_consumptions" ADD CONSTRAINT "line_stamp_ticket_consumptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_settings" ADD CONSTRAINT "user_settings_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
