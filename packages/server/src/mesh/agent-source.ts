import { randomUUID } from "node:crypto";
import { Message, type Part, type Task, TaskState, taskStateToJSON } from "@a2a-js/sdk";
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import {
  SourceFailure,
  type SourceRun,
  type WidgetSource,
  type WidgetSourceRunner,
} from "../dashboards/widget-source-runner.js";
import { cappedResponse } from "../net/capped-response.js";
import { guardedFetch, SsrfBlockedError } from "../net/ssrf-guard.js";
import type { AgentDirectory } from "./agent-directory.js";

/**
 * Widgets bound to a registered remote agent (`source.kind: "agent"`): Retry sends A2A `SendMessage` with
 * the skill (message metadata) and the input (one DataPart) to the agent's card, through the SDK's client
 * and the SSRF guard, and returns the first DataPart of the answer. Local agents are not ours: their
 * widgets keep the `refresh` frame to the writer.
 */
export class AgentSourceRunner implements WidgetSourceRunner {
  constructor(
    private readonly directory: AgentDirectory,
    private readonly options: { allowPrivateNetwork: boolean },
  ) {}

  async handles(source: WidgetSource, workspaceId: string): Promise<boolean> {
    if (source.kind !== "agent") return false;
    const agent = await this.directory.get(workspaceId, source.agentId).catch(() => undefined);
    return agent?.kind === "a2a" && Boolean(agent.cardUrl);
  }

  async run({ workspaceId, source, signal, maxBytes }: SourceRun): Promise<unknown> {
    if (source.kind !== "agent") throw new SourceFailure("refused", "not an agent source");
    const agent = await this.directory.get(workspaceId, source.agentId);
    const guarded = guardedFetch({
      allowPrivateNetwork: this.options.allowPrivateNetwork,
      privateOrigins: this.directory.ownAgentOrigins,
    });
    // A task may carry its data several times (artifact, status message, history): the answer is read up
    // to a few times the data limit, and the refresher then checks the DataPart itself against the limit.
    const answerLimit = ANSWER_LIMIT_FACTOR * maxBytes;
    const tooLarge = () =>
      new SourceFailure(
        "too_large",
        `the answer exceeds ${answerLimit} bytes (AGENTBOARD_SOURCE_MAX_BYTES × 4)`,
      );
    // The card and the JSON-RPC call both go through the guard, under the refresh's deadline.
    const fetchImpl: typeof fetch = async (input, init) =>
      cappedResponse(
        await guarded(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
        }),
        answerLimit,
        tooLarge,
      );
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      }),
    );
    let result: Message | Task;
    try {
      const client = await factory.createFromUrl(agent.cardUrl!, "");
      result = await client.sendMessage(
        {
          tenant: "",
          message: request(source.skill, source.input ?? {}),
          configuration: undefined,
          metadata: undefined,
        },
        { signal },
      );
    } catch (error) {
      if (signal.aborted) throw new SourceFailure("timeout", "the agent did not answer in time");
      if (error instanceof SourceFailure) throw error;
      if (error instanceof SsrfBlockedError) throw new SourceFailure("refused", error.message);
      throw new SourceFailure("unreachable", describe(error));
    }
    if ("status" in result) {
      const state = result.status?.state;
      if (state === TaskState.TASK_STATE_FAILED || state === TaskState.TASK_STATE_REJECTED) {
        throw new SourceFailure("failed", `the task ended ${taskStateToJSON(state)}`);
      }
      const parts = [
        ...result.artifacts.flatMap((artifact) => artifact.parts),
        ...(result.status?.message?.parts ?? []),
      ];
      return dataOf(parts);
    }
    return dataOf(result.parts);
  }
}

/** How many times the data limit the agent's whole HTTP answer may be. */
const ANSWER_LIMIT_FACTOR = 4;

function request(skill: string, input: Record<string, unknown>): Message {
  // The SDK builds the message from A2A's JSON form, filling every protobuf default.
  return Message.fromJSON({
    messageId: randomUUID(),
    role: "ROLE_USER",
    parts: [{ data: input, mediaType: "application/json" }],
    metadata: { skill },
  });
}

function dataOf(parts: Part[]): unknown {
  const part = parts.find((candidate) => candidate.content?.$case === "data");
  if (part?.content?.$case !== "data") throw new SourceFailure("invalid_data", "the answer has no DataPart");
  return part.content.value;
}

/** undici hides the reason in `cause` (ECONNREFUSED); JSON-RPC errors carry their own message. */
function describe(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return inner ? `${message} (${inner})` : message;
}
