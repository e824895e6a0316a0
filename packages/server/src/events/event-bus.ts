import type { Approval, ApprovalEventName, JsonPatchOp, UserRole } from "@agentboard/protocol";
import type { ChangeOrigin, DashboardKey } from "../dashboards/dashboard-store.js";

/** A committed dashboard change, as fanned out to subscribers (on this node and, in cluster mode, others). */
export interface DashboardChangeEvent {
  key: DashboardKey;
  rev: number;
  ops: JsonPatchOp[];
  origin: ChangeOrigin;
  /** Ops from this index on were added by the server (widget attribution): the writer's ack carries them. */
  serverOpsFrom?: number;
}

/** An approval lifecycle event (created | decided | cancelled | expired) with the full approval. */
export interface ApprovalBusEvent {
  workspaceId: string;
  event: ApprovalEventName;
  approval: Approval;
}

/** Ask the principal that wrote a widget (`<kind>:<id>`) to republish it. */
export interface RefreshRequestEvent {
  key: DashboardKey;
  widgetId: string;
  principal: string;
}

/**
 * Credentials or a principal stopped being good for what is open: tokens or sessions revoked
 * (`credentialIds`), or a principal removed or its role changed (`principalId`). Every node closes the
 * sockets they authenticated (4401) and ends their approval long-polls.
 */
export interface RevocationEvent {
  workspaceId: string;
  credentialIds?: string[];
  principalId?: string;
  /** With `principalId`: its role changed to this one (absent: the principal was removed). */
  role?: UserRole;
}

export interface BusTopics {
  dashboard: DashboardChangeEvent;
  approval: ApprovalBusEvent;
  refresh: RefreshRequestEvent;
  revocation: RevocationEvent;
}
export type BusTopic = keyof BusTopics;

/**
 * How events travel between the services that produce them and the hub and waiters that consume them. The
 * in-process bus delivers synchronously and in publish order; the cluster bus (Redis pub/sub) implements the
 * same interface, so neither producers nor the hub know which one runs.
 */
export interface EventBus {
  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void;
  subscribe<T extends BusTopic>(topic: T, listener: (event: BusTopics[T]) => void): () => void;
  /** Listener count per topic, for leak checks. */
  listenerCount(topic: BusTopic): number;
  /**
   * Cluster buses only: called when events may have been lost (the pub/sub connection was re-established,
   * or a commit's outcome was unknown), so consumers re-read what they follow from the stores. Returns the
   * unsubscribe function. The in-process bus never loses events and does not implement it.
   */
  onResync?(listener: () => void): () => void;
}

export class InProcessEventBus implements EventBus {
  private readonly listeners: { [T in BusTopic]: Set<(event: BusTopics[T]) => void> } = {
    dashboard: new Set(),
    approval: new Set(),
    refresh: new Set(),
    revocation: new Set(),
  };

  constructor(private readonly onListenerError: (error: unknown, topic: BusTopic) => void) {}

  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    for (const listener of this.listeners[topic] as Set<(event: BusTopics[T]) => void>) {
      try {
        listener(event);
      } catch (error) {
        // One failing consumer must not stop delivery to the others.
        this.onListenerError(error, topic);
      }
    }
  }

  subscribe<T extends BusTopic>(topic: T, listener: (event: BusTopics[T]) => void): () => void {
    const set = this.listeners[topic] as Set<(event: BusTopics[T]) => void>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  listenerCount(topic: BusTopic): number {
    return this.listeners[topic].size;
  }
}
