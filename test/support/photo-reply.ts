import { IMAGE_QUESTION_TEXT } from '../../domain/image-question';

/**
 * The quick replies under the acknowledgement of a photo sent alone, in order: the four looks
 * of a sticker set, the question about the photo, cancel.
 */
export const PHOTO_QUICK_REPLY_LABELS = [
  'カード',
  'まるぬき',
  'ふきだし',
  'でか文字',
  IMAGE_QUESTION_TEXT,
  'キャンセル',
];
