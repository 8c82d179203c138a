-- Groups and rooms (issue #14 item 7).

-- join and leave name no user: their inbox rows have none. The relay orders a group's events
-- by the conversation in the event itself (api/inbox-relay.ts), so no column is needed for it.
ALTER TABLE "line_inbox_events" ALTER COLUMN "line_user_id" DROP NOT NULL;

-- A group's or room's turns: the LINE group/room ID (C…/R…); NULL = the user's one-to-one chat.
ALTER TABLE "chat_archives" ADD COLUMN "conversation_id" TEXT;

-- A group turn's history (all members), and the leave's delete.
CREATE INDEX "chat_archives_conversation_id_created_at_idx" ON "chat_archives"("conversation_id", "created_at");

-- The groups and rooms the bot is in (or was: left_at).
CREATE TABLE "line_conversations" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "left_at" TIMESTAMPTZ(3),

    CONSTRAINT "line_conversations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "line_conversations_kind_check" CHECK ("kind" IN ('group', 'room'))
);
