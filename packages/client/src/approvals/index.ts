export {
  ApprovalCancelledError,
  ApprovalExpiredError,
  ApprovalOutcomeError,
  ApprovalRejectedError,
  IdempotencyKeyReusedError,
  WaitTimeoutError,
} from "./approval-errors.js";
export {
  type ApprovalHandle,
  type ApprovalsClient,
  type ApprovalsClientOptions,
  type ApprovalWaitOptions,
  createApprovalsClient,
  type ListApprovalsOptions,
} from "./approvals-client.js";
export { longPollStrategy, type RequestFunction } from "./long-poll-strategy.js";
export {
  type ApprovalWaitStrategy,
  type WaitRequest,
  WaitStrategyUnavailableError,
  waitWithStrategies,
} from "./wait-strategy.js";
