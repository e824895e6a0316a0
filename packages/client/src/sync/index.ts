export {
  type CreateSyncClientOptions,
  createSyncClient,
  type SyncClient,
  type SyncEvents,
  type SyncOptions,
  type SyncStatus,
} from "./sync-client.js";
export type { WebSocketConstructor } from "./sync-connection.js";
export type { PendingMutation, SyncConflict } from "./sync-engine.js";
export {
  SyncClosedError,
  SyncError,
  type SyncErrorCode,
  SyncNotReadyError,
  SyncTimeoutError,
} from "./sync-errors.js";
export type { WaitOptions } from "./wait-until.js";
