export {
  ApprovalCancelledError,
  ApprovalExpiredError,
  ApprovalOutcomeError,
  ApprovalRejectedError,
  IdempotencyKeyReusedError,
  WaitTimeoutError,
} from "./approval-errors.js";
export type {
  ApprovalFeed,
  ApprovalFeedEvents,
  ApprovalFeedStatus,
} from "./approval-feed.js";
export {
  type ApprovalHandle,
  type ApprovalsClient,
  type ApprovalsClientOptions,
  type ApprovalWaitOptions,
  createApprovalsClient,
  type ListApprovalsOptions,
} from "./approvals-client.js";
export { longPollStrategy } from "./long-poll-strategy.js";
export {
  type ApprovalWaitStrategy,
  type WaitRequest,
  WaitStrategyUnavailableError,
  waitWithStrategies,
} from "./wait-strategy.js";
