import type { Agent } from "@agentboard/protocol";
import type { ReactNode } from "react";
import { useDirectory } from "../directory/directory-store";
import { HealthTable, latencyText, StatusBadge } from "./HealthTable";

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
      <HealthTable
        items={agents}
        columns={["Agent", "Kind", "Status", "Latency", "Checked"]}
        empty="No agents in the directory yet."
        row={(agent) => (
          <tr key={agent.id} data-agent-id={agent.id} data-agent-status={agent.status}>
            <th scope="row" data-agent-name title={agent.id}>
              {agent.displayName}
            </th>
            <td>{agent.kind === "a2a" ? "remote (A2A)" : "local"}</td>
            <td>
              <StatusBadge tone={STATUS_CLASS[agent.status]}>{agent.status}</StatusBadge>
            </td>
            <td>{latencyText(agent.latencyMs)}</td>
            <td>
              {agent.checkedAt ? (
                <time dateTime={agent.checkedAt}>{new Date(agent.checkedAt).toLocaleTimeString()}</time>
              ) : (
                "—"
              )}
            </td>
          </tr>
        )}
      />
    </section>
  );
}
