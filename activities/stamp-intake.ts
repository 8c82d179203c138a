import type { StampDeps } from '../services/stamp-deps';
import { createStampIntake } from '../services/stamp-intake';
import { createStampStyleChoice } from '../services/stamp-style-choice';

/**
 * Activities of the stamp intake workflows (stampPhotoIntake, stampTextsIntake,
 * stampPhotoCancel, the session's photo expiry, stampUpload) and the style preview. The intake has no long steps and
 * no permanent failures: the service's functions are the activities as they are.
 */
export function createStampIntakeActivities(deps: StampDeps) {
  const intake = createStampIntake(deps);
  const styleChoice = createStampStyleChoice(deps);
  return {
    acceptStampPhoto: intake.acceptStampPhoto,
    submitStampTexts: intake.submitStampTexts,
    cancelStampPhoto: intake.cancelStampPhoto,
    expireStampPhoto: intake.expireStampPhoto,
    recordStampUpload: intake.recordStampUpload,
    discardStampUpload: intake.discardStampUpload,
    previewStampStyle: styleChoice.previewStampStyle,
  };
}

export type StampIntakeActivities = ReturnType<typeof createStampIntakeActivities>;
export type { AcceptPhotoResult, SubmitTextsResult } from '../services/stamp-intake';
