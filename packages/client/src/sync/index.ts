export { type CreateSyncClientOptions, createSyncClient } from "./create-sync-client.js";
export type { PendingMutation, SyncConflict } from "./local-edits.js";
export {
  SyncClosedError,
  SyncError,
  type SyncErrorCode,
  SyncNotReadyError,
  SyncTimeoutError,
} from "./sync-errors.js";
export type { SyncClient, SyncEvents, SyncOptions, SyncStatus } from "./sync-types.js";
export type { WaitOptions } from "./wait-until.js";
