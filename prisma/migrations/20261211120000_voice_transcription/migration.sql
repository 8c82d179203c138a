-- Voice messages (issue #14): a voice turn's transcription is a usage record of its own,
-- billed per second of audio at the catalog's rate.
-- AlterEnum
ALTER TYPE "usage_io_type" ADD VALUE 'transcription';

-- AlterTable
ALTER TABLE "usage_records" ADD COLUMN     "audio_seconds" INTEGER,
ADD COLUMN     "dollar_per_audio_second" DECIMAL(24,12);
