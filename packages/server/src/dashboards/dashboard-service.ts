import {
  applyDashboardPatch,
  applyJsonPatch,
  checkDashboardPatch,
  type DashboardDocument,
  type DashboardState,
  defaultDashboardState,
  type JsonPatchOp,
  overlappingPaths,
  PatchApplyError,
  validateDashboardState,
  validateDashboardStateChange,
  type Widget,
  type WidgetInput,
} from "@agentboard/protocol";
import { conflict, invalid, notFound, unavailable } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import { KeyedQueue } from "../util/keyed-queue.js";
import { contentHash, placeBelow, ROOT_REPLACE_PATHS, replaceRootsOps } from "./dashboard-ops.js";
import type {
  ChangeOrigin,
  DashboardKey,
  DashboardStore,
  MutationKey,
  PatchLogEntry,
} from "./dashboard-store.js";
import { dashboardTopic, refreshTopic } from "./dashboard-topics.js";
import { DocumentCache } from "./document-cache.js";
import { attributionOps } from "./widget-attribution.js";

/** What a write computed: the ops to log and fan out, their conflict paths and the resulting state. */
interface ComputedWrite {
  ops: JsonPatchOp[];
  paths: string[];
  state: DashboardState;
  serverOpsFrom?: number;
}

export interface WriteResult {
  rev: number;
  /** True when a (clientId, mutationId) replay returned the first answer and applied nothing. */
  replayed?: boolean;
}

export interface DashboardServiceOptions {
  store: DashboardStore;
  /** Log entries kept per document (AGENTBOARD_PATCH_LOG_LIMIT). */
  patchLogLimit: number;
  /** Every commit is published here (topic `dashboard`), in rev order per document. */
  bus: EventBus;
  now?: () => Date;
}

/**
 * A compare-and-set lost to another node is retried at least this many times, and then for as long as the
 * contention budget lasts, before answering 503. A count alone starves a node: the node that just won a
 * commit has the document cached and starts its next write first, so while it has a backlog for the
 * document the other node keeps losing; the time budget lets it through once that burst ends.
 */
const MIN_COMMIT_ATTEMPTS = 5;
const CONTENTION_BUDGET_MS = 2_000;

const cacheKey = (key: DashboardKey) => `${key.workspaceId}\u0000${key.dashboardId}`;

/**
 * The one write path for dashboard documents (REST, WebSocket, widget upserts and MCP tools all come here):
 * validate → serialise per document → rebase or conflict → apply + validate → commit (as durable as the
 * store is set to be) → notify.
 */
export class DashboardService {
  private readonly queue = new KeyedQueue();
  private readonly documents: DocumentCache;
  private readonly store: DashboardStore;
  private readonly bus: EventBus;
  private readonly patchLogLimit: number;
  private readonly now: () => Date;

  constructor(options: DashboardServiceOptions) {
    this.store = options.store;
    this.documents = new DocumentCache(options.store);
    this.bus = options.bus;
    // The dashboards capability's topics: commits, and asking a widget's writer to republish it.
    this.bus.topics.register(dashboardTopic, refreshTopic);
    this.patchLogLimit = options.patchLogLimit;
    this.now = options.now ?? (() => new Date());
  }

  /** The current document: the cached one while the store still reports its version (DocumentCache). */
  async get(key: DashboardKey): Promise<DashboardDocument> {
    return this.documents.load(key, await this.store.readVersion(key));
  }

  /**
   * JSON Patch against `baseRev`; a stale base is rebased when no path changed since overlaps. With a
   * (clientId, mutationId) the write is idempotent for its principal: the same key and content again get the
   * first rev; the same key with other content is refused (`idempotency_key_reused`).
   */
  async patch(
    key: DashboardKey,
    input: { baseRev: number; ops: JsonPatchOp[]; clientId?: string; mutationId?: string },
    principal: string,
    connection?: { connectionId: string; requestId: string },
  ): Promise<WriteResult> {
    // Path and value checks run before queueing, so bad input costs no lock time.
    const paths = checkDashboardPatch(input.ops);
    const origin: ChangeOrigin = {
      principal,
      clientId: input.clientId,
      mutationId: input.mutationId,
      ...connection,
    };
    const { clientId, mutationId } = input;
    const mutation =
      clientId && mutationId
        ? {
            principal,
            clientId,
            mutationId,
            // The ops alone, not the baseRev: a client resends one edit with a newer baseRev after a
            // conflict or a resync (the SDK keeps its mutationId), and that resend must still be a replay.
            contentHash: contentHash(input.ops),
          }
        : undefined;
    const write = async (doc: DashboardDocument, at: string): Promise<ComputedWrite> => {
      if (input.baseRev > doc.rev) {
        throw conflict(`baseRev ${input.baseRev} is ahead of the document (rev ${doc.rev})`, {
          rev: doc.rev,
          paths,
        });
      }
      const stale = input.baseRev < doc.rev;
      if (stale) {
        const changes = await this.store.changesSince(key, input.baseRev);
        // A base older than the log: every path may have changed, so everything overlaps.
        const changed = changes === null ? [""] : changes.flatMap((c) => c.paths);
        const overlap = overlappingPaths(changed, paths);
        if (overlap.length > 0) {
          throw conflict(`the document changed at ${overlap.join(", ")} since rev ${input.baseRev}`, {
            rev: doc.rev,
            paths: overlap,
          });
        }
      }
      let patched: DashboardState;
      try {
        patched = applyJsonPatch(doc.state, input.ops);
      } catch (error) {
        // Ops that no longer apply on top of newer changes are a conflict, not bad input.
        if (stale && error instanceof PatchApplyError) {
          throw conflict(error.message, { rev: doc.rev, paths });
        }
        throw error;
      }
      // The stamps are logged and fanned out with the writer's ops, but are not part of its conflict paths:
      // they are the server's bookkeeping, and counting them would make every two edits of one widget overlap.
      const stamps = attributionOps(doc.state, patched, principal, at);
      if (stamps.length === 0) {
        return { ops: input.ops, paths, state: validateDashboardStateChange(doc.state, patched) };
      }
      return {
        ops: [...input.ops, ...stamps],
        paths,
        state: validateDashboardStateChange(doc.state, applyJsonPatch(patched, stamps)),
        serverOpsFrom: input.ops.length,
      };
    };
    return this.write(key, origin, write, mutation);
  }

  /** Replaces the whole state; only from the current rev (no rebase of a whole-document write). */
  async put(
    key: DashboardKey,
    input: { baseRev: number; state: unknown },
    principal: string,
  ): Promise<WriteResult> {
    const state = validateDashboardState(input.state);
    return this.write(key, { principal }, async (doc, at) => {
      if (input.baseRev !== doc.rev) {
        throw conflict(`baseRev ${input.baseRev} is not the current rev ${doc.rev}`, { rev: doc.rev });
      }
      const stamps = attributionOps(doc.state, state, principal, at);
      const stamped =
        stamps.length === 0 ? state : validateDashboardStateChange(state, applyJsonPatch(state, stamps));
      return { ops: replaceRootsOps(stamped), paths: ROOT_REPLACE_PATHS, state: stamped };
    });
  }

  /** DELETE: resets to the default state as a normal write, so revs keep increasing and subscribers see it. */
  async reset(key: DashboardKey, principal: string): Promise<WriteResult> {
    const state = defaultDashboardState();
    return this.write(key, { principal }, async () => ({
      ops: replaceRootsOps(state),
      paths: ROOT_REPLACE_PATHS,
      state,
    }));
  }

  /** Creates or replaces one widget; a new widget is placed at the bottom of the grid. */
  async upsertWidget(
    key: DashboardKey,
    widgetId: string,
    input: WidgetInput,
    principal: string,
  ): Promise<WriteResult & { widget: Widget }> {
    if (input.id !== undefined && input.id !== widgetId) {
      throw invalid(`body id "${input.id}" does not match the widget id "${widgetId}" in the URL`);
    }
    let written: Widget | undefined;
    const result = await this.write(key, { principal }, async (doc, at) => {
      const { id: _ignored, ...rest } = input;
      const widget = {
        status: "ready",
        ...rest,
        id: widgetId,
        updatedAt: at,
        updatedBy: principal,
      } as Widget;
      const exists = Object.hasOwn(doc.state.widgets, widgetId);
      const ops: JsonPatchOp[] = [
        { op: exists ? "replace" : "add", path: `/widgets/${widgetId}`, value: widget },
      ];
      const placed = doc.state.layout.items.some((item) => item.widgetId === widgetId);
      if (!placed)
        ops.push({ op: "add", path: "/layout/items/-", value: placeBelow(doc.state, widgetId, input.type) });
      const applied = applyDashboardPatch(doc.state, ops);
      written = applied.state.widgets[widgetId];
      return { ops, paths: applied.paths, state: applied.state };
    });
    return { ...result, widget: written! };
  }

  async removeWidget(key: DashboardKey, widgetId: string, principal: string): Promise<WriteResult> {
    return this.write(key, { principal }, async (doc) => {
      if (!Object.hasOwn(doc.state.widgets, widgetId)) throw notFound(`widget "${widgetId}" does not exist`);
      const ops: JsonPatchOp[] = [{ op: "remove", path: `/widgets/${widgetId}` }];
      const index = doc.state.layout.items.findIndex((item) => item.widgetId === widgetId);
      if (index >= 0) ops.push({ op: "remove", path: `/layout/items/${index}` });
      const applied = applyDashboardPatch(doc.state, ops);
      return { ops, paths: applied.paths, state: applied.state };
    });
  }

  /**
   * What a subscriber at `sinceRev` needs to be current: the missed log entries in order, or a snapshot when
   * it has no rev, the log does not reach back that far, or it claims a rev the document never had.
   */
  async catchUp(
    key: DashboardKey,
    sinceRev: number | undefined,
  ): Promise<
    { kind: "patches"; entries: PatchLogEntry[] } | { kind: "snapshot"; document: DashboardDocument }
  > {
    const document = await this.get(key);
    if (sinceRev !== undefined && sinceRev <= document.rev) {
      const entries = sinceRev === document.rev ? [] : await this.store.changesSince(key, sinceRev);
      if (entries !== null) return { kind: "patches", entries };
    }
    return { kind: "snapshot", document };
  }

  /** Sets a widget's status (and error) as a normal write: used by refresh to show `loading` and timeouts. */
  setWidgetStatus(
    key: DashboardKey,
    widgetId: string,
    status: Widget["status"],
    error: Widget["error"] | undefined,
    principal: string,
    onlyIf?: (widget: Widget) => boolean,
  ): Promise<WriteResult | null> {
    const ops: JsonPatchOp[] = [{ op: "replace", path: `/widgets/${widgetId}/status`, value: status }];
    if (error) ops.push({ op: "add", path: `/widgets/${widgetId}/error`, value: error });
    return this.updateWidget(key, widgetId, principal, onlyIf, ops);
  }

  /** A bound source's answer: new props (already validated against the widget type), status `ready`. */
  setWidgetData(
    key: DashboardKey,
    widgetId: string,
    props: unknown,
    principal: string,
    onlyIf?: (widget: Widget) => boolean,
  ): Promise<WriteResult | null> {
    return this.updateWidget(key, widgetId, principal, onlyIf, [
      { op: "replace", path: `/widgets/${widgetId}/props`, value: props },
      { op: "replace", path: `/widgets/${widgetId}/status`, value: "ready" },
    ]);
  }

  /**
   * A server-side change of one existing widget (refresh states, a source's data), skipped (null) when
   * `onlyIf` no longer holds. A widget's old error goes unless the ops set a new one. No attribution stamps:
   * these are the server's bookkeeping, not authorship, and `updatedBy` routes the next Retry.
   */
  private async updateWidget(
    key: DashboardKey,
    widgetId: string,
    principal: string,
    onlyIf: ((widget: Widget) => boolean) | undefined,
    changes: readonly JsonPatchOp[],
  ): Promise<WriteResult | null> {
    let skipped = false;
    const result = await this.write(key, { principal }, async (doc) => {
      const widget = doc.state.widgets[widgetId];
      if (!widget) throw notFound(`widget "${widgetId}" does not exist`);
      if (onlyIf && !onlyIf(widget)) {
        skipped = true;
        return null;
      }
      const ops = [...changes];
      const setsError = ops.some((op) => op.path === `/widgets/${widgetId}/error`);
      if (widget.error && !setsError) ops.push({ op: "remove", path: `/widgets/${widgetId}/error` });
      const applied = applyDashboardPatch(doc.state, ops);
      return { ops, paths: applied.paths, state: applied.state };
    });
    return skipped ? null : result;
  }

  /** Expired documents (AGENTBOARD_STATE_TTL_DAYS) are dropped; returns how many. */
  dropExpired(ttlDays: number): Promise<number> {
    // Dropped documents restart at rev 0; never reuse what was cached for them.
    this.documents.clear();
    return this.store.dropExpired(new Date(this.now().getTime() - ttlDays * 86_400_000));
  }

  /** Keys with writes queued or running (leak checks). */
  get pendingWrites(): number {
    return this.queue.size;
  }

  /**
   * `compute` gets the current document and the commit's time (`updatedAt` of what it writes). `mutation`:
   * the write's idempotency record, checked before computing and written with the commit.
   */
  private write(
    key: DashboardKey,
    origin: ChangeOrigin,
    compute: (doc: DashboardDocument, at: string) => Promise<ComputedWrite | null>,
    mutation?: MutationKey & { contentHash: string },
  ): Promise<WriteResult> {
    return this.queue.run(cacheKey(key), async () => {
      const started = performance.now();
      for (
        let attempt = 0;
        attempt < MIN_COMMIT_ATTEMPTS || performance.now() - started < CONTENTION_BUDGET_MS;
        attempt++
      ) {
        const base = await this.store.readForWrite(key, mutation);
        if (base.mutation !== null && mutation) {
          if (base.mutation.contentHash !== mutation.contentHash) {
            throw invalid(
              `mutationId "${mutation.mutationId}" of client "${mutation.clientId}" was already used for a different change`,
              { reason: "idempotency_key_reused" },
            );
          }
          return { rev: base.mutation.rev, replayed: true };
        }
        const doc = await this.documents.load(key, base.version);
        const at = this.now().toISOString();
        const next = await compute(doc, at);
        // Nothing to write (a conditional write whose condition no longer holds).
        if (next === null) return { rev: doc.rev };
        const result = await this.store.commit({
          key,
          expectedRev: doc.rev,
          state: next.state,
          entry: { ops: next.ops, paths: next.paths, origin, at },
          logLimit: this.patchLogLimit,
          ...(mutation ? { mutation } : {}),
        });
        if (result.ok) {
          this.documents.remember(key, {
            rev: result.rev,
            schemaVersion: next.state.schemaVersion,
            updatedAt: at,
            state: next.state,
          });
          // After the commit, never before: whoever hears of a rev can read it. The bus isolates its
          // listeners, so a failing one cannot turn this commit into an error for the writer.
          this.bus.publish("dashboard", {
            key,
            rev: result.rev,
            ops: next.ops,
            origin,
            ...(next.serverOpsFrom === undefined ? {} : { serverOpsFrom: next.serverOpsFrom }),
          });
          return { rev: result.rev };
        }
        // Another node committed first: re-read and decide again (rebase or conflict) on the new rev.
      }
      throw unavailable(`dashboard ${key.dashboardId} is too contended; retry`);
    });
  }
}
