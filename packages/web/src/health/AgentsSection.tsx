import type { Agent } from "@agentboard/protocol";
import type { ReactNode } from "react";
import { useDirectory } from "../directory/directory-store";

/** How each agent status reads on the page. */
const STATUS_CLASS: Record<Agent["status"], string> = {
  healthy: "ok",
  degraded: "degraded",
  unhealthy: "down",
  unknown: "degraded",
};

/**
 * The agent directory, live: the app's one `board.agents.watch()` (`subscribe_agents`, in the directory
 * store every page shares), so a registered, renamed, removed or re-probed agent shows without a reload.
 * `summary` is /readyz's `mesh` component, shown above the rows.
 */
export function AgentsSection({ summary }: { summary: ReactNode }) {
  const agents = useDirectory((state) => state.agents);
  const live = useDirectory((state) => state.live);

  return (
    <section className="health__section" aria-label="Agents" data-agents-live={live ? "live" : "offline"}>
      <h2>Agents</h2>
      {summary}
      {agents === null || agents.length === 0 ? (
        <p className="health__empty">{agents === null ? "Connecting…" : "No agents in the directory yet."}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Latency</th>
              <th scope="col">Checked</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((agent) => (
              <tr key={agent.id} data-agent-id={agent.id} data-agent-status={agent.status}>
                <th scope="row" data-agent-name title={agent.id}>
                  {agent.displayName}
                </th>
                <td>{agent.kind === "a2a" ? "remote (A2A)" : "local"}</td>
                <td>
                  <span className={`health-status health-status--${STATUS_CLASS[agent.status]}`}>
                    {agent.status}
                  </span>
                </td>
                <td>{agent.latencyMs !== undefined ? `${Math.round(agent.latencyMs)} ms` : "—"}</td>
                <td>
                  {agent.checkedAt ? (
                    <time dateTime={agent.checkedAt}>{new Date(agent.checkedAt).toLocaleTimeString()}</time>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
