import { randomUUID } from "node:crypto";
import { Message, type Task, TaskState, taskStateToJSON } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { eventually } from "@agentboard/test-support";

/** The SDK's client for our `/a2a`, found through our card, sending `token` as the bearer on every call. */
export async function a2aClient(baseUrl: string, token?: string): Promise<Client> {
  const fetchImpl: typeof fetch = (input, init) =>
    fetch(input, {
      ...init,
      headers: {
        ...(init?.headers as Record<string, string>),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
    }),
  );
  return factory.createFromUrl(baseUrl);
}

/** A user message with one DataPart, naming the skill in its metadata. */
export function dataMessage(skill: string, data: Record<string, unknown>): Message {
  // The SDK builds the message from A2A's JSON form, filling every protobuf default.
  return Message.fromJSON({
    messageId: randomUUID(),
    role: "ROLE_USER",
    parts: [{ data: data, mediaType: "application/json" }],
    metadata: { skill },
  });
}

export async function send(client: Client, skill: string, data: Record<string, unknown>): Promise<Task> {
  const result = await client.sendMessage({
    tenant: "",
    message: dataMessage(skill, data),
    configuration: undefined,
    metadata: undefined,
  });
  if (!("status" in result)) throw new Error(`expected a task, got a message: ${JSON.stringify(result)}`);
  return result;
}

export const stateOf = (task: Task) =>
  taskStateToJSON(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);

export const getTask = (client: Client, id: string) => client.getTask({ tenant: "", id });

/** The task once it has left `working` (polled until then, with `eventually`'s deadline). */
export const settledTask = (client: Client, id: string) =>
  eventually(
    () => getTask(client, id),
    (task) => stateOf(task) !== "TASK_STATE_WORKING",
  );

/** The DataPart of the task's `name` artifact. */
export function artifactData(task: Task, name: string): any {
  const part = task.artifacts.find((a) => a.name === name)?.parts[0];
  return part?.content?.$case === "data" ? part.content.value : undefined;
}
