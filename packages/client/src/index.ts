// Every export is public API of @agentboard/client.
export {
  type BoardClient,
  type BoardClientOptions,
  createBoardClient,
  type PatchOptions,
  type RequestOptions,
} from "./board-client.js";
export { ApiRequestError, ConnectionError } from "./errors.js";
