// Every workflow type the workers serve. One workflow per file; this index is the bundle entry.
export * from './stack-self-check';
export * from './line-user-session';
// a LINE group's or room's session (its members' turns in order)
export * from './line-group-session';
export * from './line-follow';
export * from './chat-turn';
export * from './stripe-event';
// stamp jobs and their LINE intake
export * from './stamp-job';
export * from './stamp-upload';
export * from './stamp-photo-intake';
export * from './stamp-texts-intake';
export * from './stamp-photo-cancel';
// deprecated: kept registered for timers started before the session took photo expiry over
export * from './stamp-photo-expiry';
// operations: admin point requests, retention purge (billing queue)
export * from './admin-adjust-points';
export * from './admin-plan-notice';
export * from './admin-points-notice';
export * from './retention-purge';
