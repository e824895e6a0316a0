import {
  AgentboardError,
  ClientIdSchema,
  DashboardIdSchema,
  type DashboardState,
  loadDashboardState,
} from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import { LiveSyncClient } from "./live-sync-client.js";
import type { SyncClient, SyncOptions } from "./sync-types.js";

export interface CreateSyncClientOptions extends SyncOptions {
  dashboardId: string;
  /** The board client's realtime connection, which the replica subscribes on. */
  realtime: BoardRealtime;
  /** Called once when the replica is closed. */
  onClosed?: () => void;
}

const MAX_CLIENT_ID_LENGTH = 100;

/** Options `board.sync()` took before one connection carried every replica; they are set on the board now. */
const CONNECTION_OPTIONS = [
  "WebSocket",
  "minReconnectDelayMs",
  "maxReconnectDelayMs",
  "connectionTimeoutMs",
  "heartbeatIntervalMs",
  "maxPatchesPerSecond",
] as const;

function randomClientId(): string {
  // getRandomValues works in insecure browser contexts too, unlike randomUUID.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return `c${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Validates the options synchronously (typed errors, nothing connects on failure) and starts the replica. */
export function createSyncClient(options: CreateSyncClientOptions): SyncClient {
  // Silently ignoring them would leave a caller with reconnect delays or a socket class it never gets.
  const moved = CONNECTION_OPTIONS.find(
    (name) => (options as unknown as Record<string, unknown>)[name] !== undefined,
  );
  if (moved !== undefined) {
    throw new AgentboardError(
      "invalid",
      `${moved} is an option of createBoardClient: all replicas of a board client share its connection`,
    );
  }
  const dashboardId = DashboardIdSchema.safeParse(options.dashboardId);
  if (!dashboardId.success)
    throw new AgentboardError("invalid", `"${options.dashboardId}" is not a dashboard id`);
  const clientId = options.clientId ?? randomClientId();
  // Mutation ids are `${clientId}:${counter}` and must stay within the protocol's 128 characters.
  if (!ClientIdSchema.safeParse(clientId).success || clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw new AgentboardError(
      "invalid",
      `"${clientId}" is not a valid clientId (A-Z a-z 0-9 _ . : -, at most ${MAX_CLIENT_ID_LENGTH})`,
    );
  }
  const initial = options.initial === undefined ? undefined : checkInitial(options.initial);
  return new LiveSyncClient({
    dashboardId: dashboardId.data,
    clientId,
    maxRebases: options.maxRebases,
    initial,
    realtime: options.realtime,
    onClosed: options.onClosed ?? (() => {}),
  });
}

/**
 * Validates a saved copy before anything connects. `loadDashboardState` migrates an older schemaVersion and
 * validates (StateValidationError, UnsupportedSchemaVersionError, DocumentTooLargeError); its result is a
 * fresh object, so a caller changing its copy later cannot change the replica's base.
 */
function checkInitial(initial: unknown): { rev: number; state: DashboardState } {
  if (typeof initial !== "object" || initial === null) {
    throw new AgentboardError("invalid", "initial must be an object { rev, state }");
  }
  const { rev, state } = initial as { rev?: unknown; state?: unknown };
  if (typeof rev !== "number" || !Number.isSafeInteger(rev) || rev < 0) {
    throw new AgentboardError("invalid", `initial.rev must be a non-negative integer; got ${String(rev)}`);
  }
  return { rev, state: loadDashboardState(state).state };
}
