-- Sticker styles and set modes (issue #15): a stamp job carries the look it is drawn in
-- (NULL: the original rounded card) and whether it is a personal set or a Creators Market set.
-- CreateEnum
CREATE TYPE "stamp_set_mode" AS ENUM ('personal', 'creators');

-- AlterTable
ALTER TABLE "line_stamp_generate_queues" ADD COLUMN     "style" JSONB,
ADD COLUMN     "set_mode" "stamp_set_mode" NOT NULL DEFAULT 'personal';
