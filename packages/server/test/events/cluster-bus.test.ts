import { randomPrefix, testRedis } from "@agentboard/test-support";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approvalTopic } from "../../src/approvals/approval-topic.js";
import { type DashboardChangeEvent, dashboardTopic } from "../../src/dashboards/dashboard-topics.js";
import { RedisEventBus } from "../../src/events/redis-event-bus.js";

/**
 * The cluster bus checks what other nodes publish against the topic's schema before any listener sees it:
 * anything else on the channel (a node of another version, a stray client) is dropped with a warning.
 */
let prefix: string;
let connections: Redis[];
let bus: RedisEventBus;
const warnings: string[] = [];

beforeEach(async () => {
  prefix = randomPrefix();
  connections = [testRedis(), testRedis(), testRedis()];
  const [publisher, subscriber] = connections;
  bus = new RedisEventBus({
    publisher: publisher!,
    subscriber: subscriber!,
    prefix,
    nodeId: "this-node",
    onListenerError: (error) => {
      throw error;
    },
    log: { warn: (_details, message) => warnings.push(message) },
  });
  bus.topics.register(dashboardTopic, approvalTopic);
  await bus.start();
});
afterEach(async () => {
  await bus.close();
  for (const connection of connections) connection.disconnect();
  warnings.length = 0;
});

const change = (rev: number): DashboardChangeEvent => ({
  key: { workspaceId: "ws_1", dashboardId: "main" },
  rev,
  ops: [{ op: "replace", path: "/widgets/w1/title", value: `rev ${rev}` }],
  origin: { principal: "agent:a1" },
});

describe("RedisEventBus: frames from other nodes", () => {
  it("drops unknown topics and frames that do not match their topic, delivers the rest", async () => {
    const heard: DashboardChangeEvent[] = [];
    const approvals: unknown[] = [];
    bus.subscribe("approval", (event) => approvals.push(event));
    // The last frame below: once it is heard, every earlier frame of the channel was handled.
    const last = new Promise<void>((resolve) =>
      bus.subscribe("dashboard", (event) => {
        heard.push(event);
        if (event.rev === 4) resolve();
      }),
    );

    const send = (frame: unknown) => connections[2]!.publish(`${prefix}bus`, JSON.stringify(frame));
    await send({ n: "other-node", t: "dashboard", e: change(1) });
    await send({ n: "other-node", t: "no-such-topic", e: {} });
    await send({ n: "other-node", t: "dashboard", e: { ...change(2), ops: [{ op: "eval", path: "/x" }] } });
    await send({ n: "other-node", t: "dashboard", e: { ...change(3), rev: "3" } });
    await send({
      n: "other-node",
      t: "approval",
      e: { workspaceId: "ws_1", event: "decided", approval: {} },
    });
    await send({ n: "other-node", t: "dashboard", e: change(4) });
    await last;

    expect(heard).toEqual([change(1), change(4)]);
    expect(approvals).toEqual([]);
    expect(warnings).toEqual([
      "ignoring a bus frame of an unknown topic",
      "ignoring a bus frame that does not match its topic",
      "ignoring a bus frame that does not match its topic",
      "ignoring a bus frame that does not match its topic",
    ]);
  });

  it("refuses to publish or subscribe on a topic nobody registered", () => {
    expect(() => bus.subscribe("refresh", () => {})).toThrow(/not registered/);
    expect(() =>
      bus.publish("refresh", { key: change(1).key, widgetId: "w1", principal: "agent:a1" }),
    ).toThrow(/not registered/);
  });
});
