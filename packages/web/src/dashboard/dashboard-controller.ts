import {
  type BoardClient,
  ConnectionError,
  type SyncClient,
  type SyncConflict,
  type SyncStatus,
} from "@agentboard/client";
import { AgentboardError, type DashboardState, type LayoutItem } from "@agentboard/protocol";
import type { CacheOwner, DashboardCache } from "../cache/dashboard-cache";
import { describeError } from "../lib/errors";
import { notify } from "../lib/notices-store";
import { dashboardStore, resetDashboardView, showDashboardState } from "./dashboard-store";
import { findItem, type LayoutIntent, opsForIntent, resolveConflict } from "./layout-ops";
import { deriveSyncStatus, syncStatusStore, type UiSyncStatus } from "./sync-status";

const CACHE_SAVE_DELAY_MS = 250;
/** An edit re-applied after conflicts this often is given up (and the user told). */
const MAX_EDIT_ATTEMPTS = 3;

interface TrackedEdit {
  intent: LayoutIntent;
  /** The widget's layout item when the edit was made. */
  from: LayoutItem | undefined;
  attempts: number;
}

export interface DashboardControllerOptions {
  board: BoardClient;
  dashboardId: string;
  /** Who the cache belongs to; null when the identity is unknown (then nothing is cached). */
  owner: CacheOwner | null;
  cache: DashboardCache | null;
  /** The server no longer accepts this session. */
  onRefused?(error: AgentboardError): void;
}

const STATUS_DETAIL: Record<UiSyncStatus, string> = {
  connected: "Live: changes sync in real time",
  reconnecting: "Reconnecting to the server…",
  offline: "Offline: showing the last saved copy",
};

/**
 * Connects one dashboard's live replica (SDK `board.sync`) to the view store and the local cache: the cached
 * copy is shown first, the replica's state replaces it as soon as it arrives, and every later change is
 * saved back. Layout edits go through `sync.apply` — the same write path agents use — and conflicts the
 * replica could not rebase are judged by intent: re-applied, already done, or reported to the user.
 */
export class DashboardController {
  private sync: SyncClient | undefined;
  private readonly edits = new Map<string, TrackedEdit>();
  private sdkStatus: SyncStatus = "connecting";
  private unreachable = false;
  private closed = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private cachedRev: number | undefined;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(private readonly options: DashboardControllerOptions) {}

  get dashboardId(): string {
    return this.options.dashboardId;
  }

  async start(): Promise<void> {
    resetDashboardView(this.options.dashboardId);
    this.publishStatus();
    const onlineChange = () => this.publishStatus();
    window.addEventListener("online", onlineChange);
    window.addEventListener("offline", onlineChange);
    this.unsubscribers.push(() => {
      window.removeEventListener("online", onlineChange);
      window.removeEventListener("offline", onlineChange);
    });
    // Subscribe first, then read the cache: whichever arrives first is shown, the live state always wins.
    this.openSync();
    await this.showCached();
  }

  /** Turns a layout intent into guarded JSON Patch ops and queues them on the replica. */
  edit(intent: LayoutIntent, attempts = 1): void {
    const sync = this.sync;
    const state = sync?.state;
    if (!sync || !state) {
      notify("info", "The dashboard is not synced yet, so it cannot be changed right now.");
      return;
    }
    const ops = opsForIntent(state, intent);
    if (!ops) return;
    try {
      const mutationId = sync.apply(ops);
      this.edits.set(mutationId, { intent, from: findItem(state, intent.widgetId)?.item, attempts });
    } catch (error) {
      notify("error", `That change could not be made: ${describeError(error)}`);
    }
  }

  /**
   * Stops syncing. A save still waiting for its delay is dropped rather than flushed: after a sign-out the
   * cache must stay empty, and the server has everything anyway.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.pendingSave = undefined;
    await this.sync?.close();
  }

  private async showCached(): Promise<void> {
    const { cache, owner, dashboardId } = this.options;
    if (!cache || !owner) return;
    // Marks for the paint benchmark and for profiling a slow start.
    performance.mark("agentboard:cache-load-start");
    const loaded = await cache.load(owner, dashboardId);
    performance.mark("agentboard:cache-load-end");
    if (this.closed) return;
    if (loaded.kind === "discarded") {
      notify(
        "cache",
        `The saved copy of this dashboard could not be read and was discarded (${loaded.reason}).`,
      );
      return;
    }
    if (loaded.kind !== "hit") return;
    this.cachedRev = loaded.rev;
    // The live replica may have answered while the cache was being read: never show older data over it.
    if (dashboardStore.getState().source === "server") return;
    showDashboardState(loaded.state, loaded.rev, "cache", {
      editable: false,
      cacheMigratedFrom: loaded.migratedFrom < loaded.state.schemaVersion ? loaded.migratedFrom : null,
    });
  }

  private openSync(): void {
    const sync = this.options.board.sync(this.options.dashboardId);
    this.sync = sync;
    this.unsubscribers.push(
      sync.on("change", (state, rev) => this.onChange(state, rev)),
      sync.on("status", (status) => {
        this.sdkStatus = status;
        if (status === "connected") this.unreachable = false;
        this.publishStatus();
      }),
      sync.on("error", (error) => this.onError(error)),
      sync.on("conflict", (conflict) => this.onConflict(conflict)),
    );
  }

  private onChange(state: DashboardState, rev: number): void {
    const first = dashboardStore.getState().source !== "server";
    if (first && this.cachedRev !== undefined && rev < this.cachedRev) {
      notify(
        "info",
        `The server's copy of this dashboard (rev ${rev}) is older than the one saved here (rev ${this.cachedRev}); showing the server's.`,
      );
    }
    showDashboardState(state, rev, "server", { editable: true });
    // Edits no longer pending were confirmed (or dropped, which `conflict` reported).
    const pending = new Set(this.sync?.pending.map((mutation) => mutation.mutationId));
    for (const id of this.edits.keys()) if (!pending.has(id)) this.edits.delete(id);
    this.scheduleSave(state, rev);
  }

  private onError(error: Error): void {
    if (error instanceof ConnectionError) {
      this.unreachable = true;
      this.publishStatus();
      return;
    }
    if (!AgentboardError.isInstance(error) || this.sync?.status !== "offline") return;
    // The replica gave up for good: the session is gone, or this dashboard is not ours to open.
    this.publishStatus();
    if (error.code === "unauthorized") this.options.onRefused?.(error);
    else if (error.code === "forbidden" || error.code === "not_found" || error.code === "invalid") {
      notify("error", `This dashboard cannot be opened: ${error.message}`);
    }
  }

  private onConflict(conflict: SyncConflict): void {
    const edit = this.edits.get(conflict.mutationId);
    this.edits.delete(conflict.mutationId);
    const state = this.sync?.state;
    if (!edit || !state) {
      notify("conflict", `A change could not be saved: ${conflict.error.message}`);
      return;
    }
    const decision = resolveConflict(edit.intent, edit.from, state);
    if (decision === "converged") return;
    if (decision === "reapply" && edit.attempts < MAX_EDIT_ATTEMPTS) {
      this.edit(edit.intent, edit.attempts + 1);
      return;
    }
    const title = state.widgets[edit.intent.widgetId]?.title ?? edit.intent.widgetId;
    const what = { move: "move", dismiss: "dismissal", restore: "restore" }[edit.intent.kind];
    notify(
      "conflict",
      `Conflict: "${title}" was changed elsewhere at the same time, so your ${what} was not applied. The dashboard shows the latest version.`,
    );
  }

  private publishStatus(): void {
    const status = deriveSyncStatus(this.sdkStatus, this.unreachable, navigator.onLine);
    syncStatusStore.setState({ status, detail: STATUS_DETAIL[status] });
  }

  private pendingSave: { state: DashboardState; rev: number } | undefined;
  private saveFailureReported = false;

  private scheduleSave(state: DashboardState, rev: number): void {
    if (!this.options.cache || !this.options.owner) return;
    this.pendingSave = { state, rev };
    if (this.saveTimer === undefined) {
      this.saveTimer = setTimeout(() => this.flushSave(), CACHE_SAVE_DELAY_MS);
    }
  }

  private flushSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const { cache, owner, dashboardId } = this.options;
    const pending = this.pendingSave;
    this.pendingSave = undefined;
    if (!cache || !owner || !pending) return;
    void cache.save(owner, dashboardId, pending.state, pending.rev).then((result) => {
      if (result.ok) {
        this.saveFailureReported = false;
        return;
      }
      // Once per failure streak: every change would otherwise repeat the same notice.
      if (this.saveFailureReported) return;
      this.saveFailureReported = true;
      notify(
        "cache",
        result.reason === "quota"
          ? "This browser's storage is full, so the dashboard is not saved for offline use."
          : `The dashboard could not be saved for offline use: ${result.message}`,
      );
    });
  }
}
