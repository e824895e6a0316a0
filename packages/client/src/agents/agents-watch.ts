import type { Agent, ClientMessage, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import { ListWatch, type ListWatchOutage } from "../realtime/list-watch.js";

export type AgentsWatchSignal =
  /** Every agent of the workspace as it is now: on (re)subscribing and after each change. */
  { kind: "agents"; agents: Agent[] } | ListWatchOutage;

/** What `board.agents.watch()` returns. */
export interface AgentsWatch {
  close(): Promise<void>;
}

/** Follows the agent directory: `subscribe_agents`, then `agent` frames that register, update or remove one. */
export class AgentDirectoryWatch extends ListWatch<Agent> implements AgentsWatch {
  readonly agents = true;

  constructor(
    realtime: BoardRealtime,
    private readonly listener: (signal: AgentsWatchSignal) => void,
    onClosed: () => void = () => {},
  ) {
    super(realtime, "g", onClosed);
  }

  protected subscribeFrame(id: string): ClientMessage {
    return { type: "subscribe_agents", id };
  }

  protected listIn(message: ServerMessage, id: string): Agent[] | undefined {
    return message.type === "subscribed_agents" && message.id === id ? message.agents : undefined;
  }

  protected changeIn(message: ServerMessage) {
    if (message.type !== "agent") return undefined;
    return { key: message.agent.id, item: message.event === "removed" ? undefined : message.agent };
  }

  protected keyOf(agent: Agent): string {
    return agent.id;
  }

  protected emitList(agents: Agent[]): void {
    this.listener({ kind: "agents", agents });
  }

  protected emitOutage(outage: ListWatchOutage): void {
    this.listener(outage);
  }
}
