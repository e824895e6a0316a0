import { type BusTopic, type BusTopics, TopicRegistry } from "./topics.js";

export type { BusTopic, BusTopics } from "./topics.js";

/**
 * How events travel between the services that produce them and the consumers that follow them (waiters,
 * expiry timers, realtime channels, the widget refresher): services publish, consumers subscribe, the same
 * path in both modes. The in-process bus delivers synchronously and in publish order; the cluster bus
 * (Redis pub/sub) implements the same interface and also delivers other nodes' events, so neither producers
 * nor consumers know which one runs. Topics come from the capabilities (`topics.register`).
 */
export interface EventBus {
  readonly topics: TopicRegistry;
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

type Listener = (event: never) => void;

export class InProcessEventBus implements EventBus {
  readonly topics: TopicRegistry;
  /** Listener sets by topic, made on first use of a registered topic. */
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly onListenerError: (error: unknown, topic: BusTopic) => void,
    topics: TopicRegistry = new TopicRegistry(),
  ) {
    this.topics = topics;
  }

  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    for (const listener of this.listenersOf(topic)) {
      try {
        listener(event);
      } catch (error) {
        // One failing consumer must not stop delivery to the others.
        this.onListenerError(error, topic);
      }
    }
  }

  subscribe<T extends BusTopic>(topic: T, listener: (event: BusTopics[T]) => void): () => void {
    const set = this.listenersOf(topic);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  listenerCount(topic: BusTopic): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  private listenersOf<T extends BusTopic>(topic: T): Set<(event: BusTopics[T]) => void> {
    let set = this.listeners.get(topic);
    if (!set) {
      if (!this.topics.has(topic))
        throw new Error(`bus topic "${topic}" is not registered (bus.topics.register)`);
      set = new Set();
      this.listeners.set(topic, set);
    }
    return set as Set<(event: BusTopics[T]) => void>;
  }
}
