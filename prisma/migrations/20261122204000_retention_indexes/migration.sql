-- The retention purge selects the oldest rows across all users by created_at.
CREATE INDEX "chat_archives_created_at_idx" ON "chat_archives"("created_at");
CREATE INDEX "usage_records_created_at_idx" ON "usage_records"("created_at");
CREATE INDEX "openai_usages_created_at_idx" ON "openai_usages"("created_at");
