import {
  type BoardClient,
  ConnectionError,
  type SyncClient,
  type SyncConflict,
  type SyncStatus,
} from "@agentboard/client";
import { AgentboardError, type DashboardState, type LayoutItem } from "@agentboard/protocol";
import type { CacheLoadResult, CacheOwner, DashboardCache } from "../cache/dashboard-cache";
import { describeError } from "../lib/errors";
import { notify } from "../lib/notices-store";
import { resetDashboardView, showDashboardState } from "./dashboard-store";
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
 * Connects one dashboard's live replica (SDK `board.sync`) to the view store and the local cache: the replica
 * starts from the cached copy (`initial`), so the dashboard shows and takes edits at once, also offline;
 * the server's catch-up then brings it up to date and sends the edits made meanwhile, and every confirmed
 * state is saved back. Layout edits go through `sync.apply` — the same write path agents use — and
 * conflicts the replica could not rebase are judged by intent: re-applied, already done, or reported.
 */
export class DashboardController {
  private sync: SyncClient | undefined;
  private readonly edits = new Map<string, TrackedEdit>();
  private sdkStatus: SyncStatus = "connecting";
  private unreachable = false;
  private closed = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private cachedRev: number | undefined;
  /** The replica caught up with the server at least once: what it shows is the server's, not the cache's. */
  private wentLive = false;
  /** The confirmed state last handed to the cache, to skip saves of what is already there. */
  private lastSaved: DashboardState | undefined;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(private readonly options: DashboardControllerOptions) {}

  get dashboardId(): string {
    return this.options.dashboardId;
  }

  async start(): Promise<void> {
    resetDashboardView(this.options.dashboardId);
    this.publishStatus();
    const online = () => {
      this.publishStatus();
      // The network is back: connect now rather than when the backoff (up to 10 s) runs out.
      this.sync?.reconnect();
    };
    const offline = () => this.publishStatus();
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    this.unsubscribers.push(() => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
    });
    // The cache is read first because the replica starts from it; the read is local (milliseconds), and a
    // failed read is a miss, so the connection is never held up for long.
    const cached = await this.loadCached();
    if (this.closed) return;
    this.openSync(cached);
  }

  /** Turns a layout intent into guarded JSON Patch ops and queues them on the replica. */
  edit(intent: LayoutIntent, attempts = 1): void {
    const sync = this.sync;
    const state = sync?.state;
    if (!sync || !state) {
      // Only without a cached copy: then there is nothing to edit until the server answers.
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

  private async loadCached(): Promise<Extract<CacheLoadResult, { kind: "hit" }> | undefined> {
    const { cache, owner, dashboardId } = this.options;
    if (!cache || !owner) return undefined;
    // Marks for the paint benchmark and for profiling a slow start.
    performance.mark("agentboard:cache-load-start");
    const loaded = await cache.load(owner, dashboardId);
    performance.mark("agentboard:cache-load-end");
    if (this.closed) return undefined;
    if (loaded.kind === "discarded") {
      notify(
        "cache",
        `The saved copy of this dashboard could not be read and was discarded (${loaded.reason}).`,
      );
      return undefined;
    }
    return loaded.kind === "hit" ? loaded : undefined;
  }

  private openSync(cached: Extract<CacheLoadResult, { kind: "hit" }> | undefined): void {
    const { board, dashboardId } = this.options;
    let sync: SyncClient | undefined;
    if (cached) {
      try {
        sync = board.sync(dashboardId, { initial: { rev: cached.rev, state: cached.state } });
      } catch (error) {
        // The cache validates with the same protocol function, so this is not expected; if it happens, the
        // copy is useless as a base and the replica starts from the server's snapshot instead.
        notify("cache", `The saved copy of this dashboard could not be used (${describeError(error)}).`);
      }
    }
    if (sync && cached) {
      this.cachedRev = cached.rev;
      this.lastSaved = sync.confirmedState;
      showDashboardState(cached.state, cached.rev, "cache", {
        editable: true,
        cacheMigratedFrom: cached.migratedFrom < cached.state.schemaVersion ? cached.migratedFrom : null,
      });
    }
    sync ??= board.sync(dashboardId);
    this.sync = sync;
    const live = sync;
    this.unsubscribers.push(
      live.on("change", (state, rev) => this.onChange(state, rev)),
      live.on("status", (status) => {
        this.sdkStatus = status;
        if (status === "connected") this.unreachable = false;
        this.publishStatus();
        // Going live is reported by a change too; this covers a first catch-up that changed nothing.
        if (status === "connected" && !this.wentLive && live.state) this.onChange(live.state, live.rev);
      }),
      live.on("error", (error) => this.onError(error)),
      live.on("conflict", (conflict) => this.onConflict(conflict)),
    );
  }

  private onChange(state: DashboardState, rev: number): void {
    // Until the first catch-up is in, the replica shows the cached copy plus local edits: still "the copy
    // saved on this device", though editable.
    const live = this.wentLive || this.sync?.status === "connected";
    if (live && !this.wentLive) {
      this.wentLive = true;
      if (this.cachedRev !== undefined && rev < this.cachedRev) {
        notify(
          "info",
          `The server's copy of this dashboard (rev ${rev}) is older than the one saved here (rev ${this.cachedRev}); showing the server's.`,
        );
      }
    }
    showDashboardState(state, rev, live ? "server" : "cache", { editable: true });
    // Edits no longer pending were confirmed (or dropped, which `conflict` reported).
    const pending = new Set(this.sync?.pending.map((mutation) => mutation.mutationId));
    for (const id of this.edits.keys()) if (!pending.has(id)) this.edits.delete(id);
    // The confirmed state, never the optimistic one: the next start uses the saved copy as the state the
    // server had at `rev`, and pending edits in it would be taken for the server's.
    const confirmed = this.sync?.confirmedState;
    if (confirmed && confirmed !== this.lastSaved) this.scheduleSave(confirmed, rev);
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
    this.lastSaved = state;
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
