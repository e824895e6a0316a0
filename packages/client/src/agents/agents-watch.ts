import type { Agent, AgentboardError, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import type { RealtimeLink, RealtimeSubscriber } from "../realtime/realtime-lane.js";

export type AgentsWatchSignal =
  /** Every agent of the workspace as it is now: on (re)subscribing and after each change. */
  | { kind: "agents"; agents: Agent[] }
  /** The socket dropped; a reconnect is under way and brings a fresh list. */
  | { kind: "down" }
  /** The server refused the credentials; the watch is over. */
  | { kind: "fatal"; error: AgentboardError };

/** What `board.agents.watch()` returns. */
export interface AgentsWatch {
  close(): Promise<void>;
}

/**
 * Follows the agent directory on the board client's realtime connection: `subscribe_agents` on every
 * (re)connect (its answer carries every agent, so nothing is missed while the socket was down), then each
 * `agent` frame registers, updates or removes one agent. The listener gets the whole list every time.
 */
export class AgentDirectoryWatch implements RealtimeSubscriber, AgentsWatch {
  readonly agents = true;
  private readonly link: RealtimeLink;
  private subscribeId: string | undefined;
  private requestCounter = 0;
  private byId = new Map<string, Agent>();
  private closed = false;

  constructor(
    realtime: BoardRealtime,
    private readonly listener: (signal: AgentsWatchSignal) => void,
    private readonly onClosed: () => void = () => {},
  ) {
    this.link = realtime.attach(this, realtime.newTag("g"));
  }

  onOpen(): void {
    this.subscribeId = `${this.link.tag}s${++this.requestCounter}`;
    this.link.send({ type: "subscribe_agents", id: this.subscribeId });
  }

  onMessage(message: ServerMessage): void {
    if (this.closed) return;
    if (message.type === "subscribed_agents" && message.id === this.subscribeId) {
      this.byId = new Map(message.agents.map((agent) => [agent.id, agent]));
      this.link.markHealthy();
      this.emit();
    } else if (message.type === "agent" && this.subscribeId !== undefined) {
      if (message.event === "removed") this.byId.delete(message.agent.id);
      else this.byId.set(message.agent.id, message.agent);
      this.emit();
    }
  }

  onClose(): void {
    this.subscribeId = undefined;
    if (!this.closed) this.listener({ kind: "down" });
  }

  onFatal(error: AgentboardError): void {
    if (this.closed) return;
    this.listener({ kind: "fatal", error });
    void this.close();
  }

  onError(): void {
    // Reconnects are the connection's business; the listener hears of outages from "down".
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    // The protocol has no unsubscribe for agent frames: on a socket others still use they are dropped here.
    await this.link.detach();
  }

  private emit(): void {
    this.listener({ kind: "agents", agents: [...this.byId.values()] });
  }
}
