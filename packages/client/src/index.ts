// Every export is public API of @agentboard/client.

export type { AgentsClient } from "./agents/agents-client.js";
export type { AgentsWatch, AgentsWatchSignal } from "./agents/agents-watch.js";
export {
  ApprovalCancelledError,
  ApprovalExpiredError,
  type ApprovalFeed,
  type ApprovalFeedEvents,
  type ApprovalFeedStatus,
  type ApprovalHandle,
  ApprovalOutcomeError,
  ApprovalRejectedError,
  type ApprovalsClient,
  type ApprovalWaitOptions,
  type ApprovalWaitStrategy,
  IdempotencyKeyReusedError,
  type ListApprovalsOptions,
  longPollStrategy,
  type WaitRequest,
  WaitStrategyUnavailableError,
  WaitTimeoutError,
} from "./approvals/index.js";
export {
  type BoardClient,
  type BoardClientOptions,
  createBoardClient,
  type PatchOptions,
  type RequestOptions,
} from "./board-client.js";
export { ApiRequestError, ConnectionError } from "./errors.js";
export type { McpCallOptions, McpClient } from "./mcp/mcp-client.js";
export type { McpWatch, McpWatchSignal } from "./mcp/mcp-watch.js";
export type { WebSocketConstructor } from "./realtime/realtime-connection.js";
export {
  type PendingMutation,
  type SyncClient,
  SyncClosedError,
  type SyncConflict,
  SyncError,
  type SyncErrorCode,
  type SyncEvents,
  SyncNotReadyError,
  type SyncOptions,
  type SyncStatus,
  SyncTimeoutError,
  type WaitOptions,
} from "./sync/index.js";
export type { TokensClient } from "./tokens-client.js";
