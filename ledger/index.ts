/** The points ledger and daily chat limit on PostgreSQL (see store.ts). */
export { createLedger } from './store';
export type { AlsoInTransaction, AlsoWithChange, Ledger, LedgerDeps } from './store';
export { effectivePlan } from './users';
export type * from './types';
