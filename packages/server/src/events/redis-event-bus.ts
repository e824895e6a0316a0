import type { Redis } from "ioredis";
import { type EventBus, InProcessEventBus } from "./event-bus.js";
import type { BusTopic, BusTopics, TopicRegistry } from "./topics.js";

export interface RedisEventBusOptions {
  /** A command connection (shared with the stores): PUBLISH goes out here. */
  publisher: Redis;
  /** A connection of its own: once it subscribes it can run nothing else. */
  subscriber: Redis;
  /** AGENTBOARD_REDIS_PREFIX: the channel is `<prefix>bus`. */
  prefix: string;
  /** Stamped in every frame, so this node can drop its own frames when Redis echoes them back. */
  nodeId: string;
  onListenerError: (error: unknown, topic: BusTopic) => void;
  log: { warn(details: object, message: string): void };
  /** Frames kept while Redis is away (default 10,000); beyond that the oldest go and every node resyncs. */
  maxPending?: number;
  /** The topics the capabilities registered (a fresh registry by default). */
  topics?: TopicRegistry;
}

/** A bus frame on the wire. `t: "resync"` asks every node to re-read what its consumers follow. */
interface Frame {
  /** node id of the publisher */
  n: string;
  t: string;
  e?: unknown;
}

/** How often frames that could not be published are retried while Redis is away. */
const FLUSH_RETRY_MS = 250;
/** Resync requests within this window are served by one resync. */
const RESYNC_COALESCE_MS = 50;

/**
 * The cluster's EventBus: Redis pub/sub on one channel, `<prefix>bus`. A publish is delivered to this node's
 * listeners synchronously, in publish order (exactly as the in-process bus does, so a writer's own connection
 * gets its ack in stream position), and published for the other nodes; frames carry the node id, and a node
 * drops its own when Redis delivers them back. One channel means one order: every node hears one publisher's
 * frames in that publisher's order, so one document's revs, which one node commits in order, arrive in order
 * from it. Revs committed by different nodes can interleave; the hub closes such gaps from the patch log.
 *
 * Losing frames (pub/sub does not store them):
 * - publishing fails (Redis away): frames wait, bounded, and go out in order once Redis is back — at least
 *   once, since a timed-out PUBLISH may have gone through;
 * - the subscriber connection drops: frames published meanwhile are gone, so after resubscribing the bus
 *   calls its `onResync` listeners (the hub re-reads every subscription from the log; approval waits re-read
 *   their approval). `requestResync()` does the same on every node, for a commit whose outcome is unknown.
 *
 * Frames from other nodes are checked against their topic's schema (a frame of an unknown topic, or one
 * that does not parse, is dropped with a warning): a node of another version, or anything else publishing
 * on the channel, cannot hand the consumers an event of the wrong shape.
 */
export class RedisEventBus implements EventBus {
  readonly topics: TopicRegistry;
  private readonly local: InProcessEventBus;
  private readonly resyncListeners = new Set<() => void>();
  private readonly channel: string;
  private readonly maxPending: number;
  private pending: string[] = [];
  private overflowed = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private subscribed = false;
  private closed = false;

  constructor(private readonly options: RedisEventBusOptions) {
    this.local = new InProcessEventBus(options.onListenerError, options.topics);
    this.topics = this.local.topics;
    this.channel = `${options.prefix}bus`;
    this.maxPending = options.maxPending ?? 10_000;
  }

  /** Subscribes (the subscriber must be connected); afterwards every re-connection resubscribes and resyncs. */
  async start(): Promise<void> {
    const { subscriber, publisher } = this.options;
    subscriber.on("message", this.onMessage);
    subscriber.on("ready", this.onSubscriberReady);
    subscriber.on("close", this.onSubscriberClose);
    publisher.on("ready", this.onPublisherReady);
    await subscriber.subscribe(this.channel);
    this.subscribed = true;
  }

  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    this.local.publish(topic, event);
    const toWire = this.topics.get(topic)?.toWire;
    this.send(JSON.stringify({ n: this.options.nodeId, t: topic, e: toWire ? toWire(event) : event }));
  }

  subscribe<T extends BusTopic>(topic: T, listener: (event: BusTopics[T]) => void): () => void {
    return this.local.subscribe(topic, listener);
  }

  listenerCount(topic: BusTopic): number {
    return this.local.listenerCount(topic);
  }

  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => {
      this.resyncListeners.delete(listener);
    };
  }

  /** Every node (this one included) re-reads what its consumers follow. */
  requestResync(): void {
    this.scheduleResync();
    this.send(JSON.stringify({ n: this.options.nodeId, t: "resync" }));
  }

  /** Frames waiting for Redis (tests, metrics). */
  get pendingFrames(): number {
    return this.pending.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.resyncTimer);
    const { subscriber, publisher } = this.options;
    subscriber.off("message", this.onMessage);
    subscriber.off("ready", this.onSubscriberReady);
    subscriber.off("close", this.onSubscriberClose);
    publisher.off("ready", this.onPublisherReady);
    if (subscriber.status === "ready") await subscriber.unsubscribe(this.channel).catch(() => {});
  }

  private readonly onMessage = (channel: string, text: string): void => {
    if (channel !== this.channel || this.closed) return;
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.options.log.warn({ channel }, "ignoring a bus frame that is not JSON");
      return;
    }
    if (frame.n === this.options.nodeId) return;
    if (frame.t === "resync") {
      this.scheduleResync();
      return;
    }
    const topic = this.topics.lookup(frame.t);
    if (!topic) {
      this.options.log.warn({ topic: frame.t }, "ignoring a bus frame of an unknown topic");
      return;
    }
    const parsed = topic.schema.safeParse(frame.e);
    if (!parsed.success) {
      this.options.log.warn(
        { topic: frame.t, node: frame.n, issues: parsed.error.issues.slice(0, 3) },
        "ignoring a bus frame that does not match its topic",
      );
      return;
    }
    this.local.publish(topic.name, parsed.data);
  };

  private readonly onSubscriberClose = (): void => {
    this.subscribed = false;
  };

  /**
   * After a reconnect ioredis resubscribes on its own; subscribing again here (harmless) makes the reply a
   * marker: once it arrives the subscription is live, and only then is re-reading from the stores safe —
   * anything committed from now on is heard, anything before is in the log.
   */
  private readonly onSubscriberReady = (): void => {
    if (this.subscribed || this.closed) return;
    this.options.subscriber.subscribe(this.channel).then(
      () => {
        this.subscribed = true;
        this.scheduleResync();
      },
      (error: unknown) => this.options.log.warn({ err: error }, "resubscribing to the bus failed"),
    );
  };

  private readonly onPublisherReady = (): void => {
    if (this.pending.length > 0) void this.flush();
  };

  private scheduleResync(): void {
    if (this.resyncTimer || this.closed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      for (const listener of this.resyncListeners) {
        try {
          listener();
        } catch (error) {
          this.options.log.warn({ err: error }, "a resync listener failed");
        }
      }
    }, RESYNC_COALESCE_MS);
    this.resyncTimer.unref();
  }

  private send(frame: string): void {
    if (this.closed) return;
    if (this.pending.length > 0 || this.options.publisher.status !== "ready") {
      this.enqueue(frame);
      return;
    }
    this.options.publisher.publish(this.channel, frame).catch(() => this.enqueue(frame));
  }

  private enqueue(frame: string): void {
    if (this.closed) return;
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.overflowed = true;
    }
    this.pending.push(frame);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.flushing || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, FLUSH_RETRY_MS);
    this.flushTimer.unref();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0 && !this.closed && this.options.publisher.status === "ready") {
        try {
          await this.options.publisher.publish(this.channel, this.pending[0]!);
          this.pending.shift();
        } catch {
          break;
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0) this.scheduleFlush();
    else if (this.overflowed) {
      // Frames were dropped: nobody can tell which, so everyone re-reads.
      this.overflowed = false;
      this.requestResync();
    }
  }
}
