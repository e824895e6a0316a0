import { z } from "zod";

/**
 * The payload of every bus topic, by topic name. Empty here on purpose: each capability declares its own
 * topics next to its code, by module augmentation, so adding a topic never edits the bus:
 *
 *     declare module "../events/topics.js" {
 *       interface BusTopics { approval: ApprovalBusEvent }
 *     }
 *
 * and registers the runtime half (the name and its zod schema) with `bus.topics.register(...)`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by each capability's declaration merging.
export interface BusTopics {}
export type BusTopic = keyof BusTopics & string;

/** A topic as the bus knows it at run time: its name and how a frame from another node is checked. */
export interface TopicDefinition<N extends BusTopic = BusTopic> {
  readonly name: N;
  /**
   * Checks an event that arrived from another node (cluster mode); a frame that does not parse is dropped
   * with a warning. Events published on this node are typed by the compiler and not parsed again.
   */
  readonly schema: z.ZodType<BusTopics[N]>;
  /** What of an event leaves this node (default: all of it), e.g. without references to local objects. */
  toWire?(event: BusTopics[N]): unknown;
}

export function defineTopic<N extends BusTopic>(
  name: N,
  schema: z.ZodType<BusTopics[N]>,
  options: { toWire?: (event: BusTopics[N]) => unknown } = {},
): TopicDefinition<N> {
  return { name, schema, ...options };
}

/**
 * The payload of a topic that tells a workspace one thing happened to one of its objects: the workspace, the
 * event's name and the object as it is now (an approval, an agent). Its `z.infer` is the topic's event type.
 */
export function workspaceEventSchema<E extends z.ZodType<string>, S extends z.ZodRawShape>(
  event: E,
  object: S,
) {
  return z.object({ workspaceId: z.string(), event, ...object });
}

/**
 * The topics a bus carries. A topic must be registered before anyone publishes or subscribes to it: the
 * buses refuse unknown topics, so a capability that forgot to register fails in every test rather than
 * have its frames silently dropped by the other nodes of a cluster.
 */
export class TopicRegistry {
  private readonly topics = new Map<string, TopicDefinition>();

  /** Registering the same definition again is a no-op (two capabilities may share a topic). */
  register(...definitions: TopicDefinition<BusTopic>[]): void {
    for (const definition of definitions) {
      const known = this.topics.get(definition.name);
      if (known === definition) continue;
      if (known) throw new Error(`bus topic "${definition.name}" is already registered with another schema`);
      this.topics.set(definition.name, definition);
    }
  }

  get<N extends BusTopic>(name: N): TopicDefinition<N> | undefined {
    return this.topics.get(name) as TopicDefinition<N> | undefined;
  }

  /** A topic named by a frame from another node: any string, known or not. */
  lookup(name: string): TopicDefinition | undefined {
    return this.topics.get(name);
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): BusTopic[] {
    return [...this.topics.keys()] as BusTopic[];
  }
}
