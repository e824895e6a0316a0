import type { McpWatchSignal } from "@agentboard/client";
import type { McpServerStatus } from "@agentboard/protocol";
import { useEffect, useState } from "react";
import { board } from "../lib/api";
import { HealthTable, latencyText, StatusBadge } from "./HealthTable";

/** What the page shows of each server's status; `down` and `invalid` read as problems. */
const STATUS_CLASS: Record<McpServerStatus["status"], string> = {
  connected: "ok",
  connecting: "degraded",
  down: "down",
  invalid: "down",
  disabled: "degraded",
};

/**
 * The gateway's upstream MCP servers, live: one `board.mcp.watch()` on the app's realtime connection
 * (`subscribe_mcp`), so a server that goes down or comes back shows without a reload.
 */
export function McpServersSection() {
  const [servers, setServers] = useState<McpServerStatus[] | null>(null);
  const [live, setLive] = useState(false);

  useEffect(() => {
    const watch = board.mcp.watch((signal: McpWatchSignal) => {
      if (signal.kind === "servers") {
        setServers(signal.servers);
        setLive(true);
      } else setLive(false);
    });
    return () => void watch.close();
  }, []);

  return (
    <section className="health__section" aria-label="MCP servers" data-mcp-live={live ? "live" : "offline"}>
      <h2>MCP servers</h2>
      <HealthTable
        items={servers}
        columns={["Server", "Status", "Tools", "Latency", "Breaker", "Last error"]}
        empty="No MCP servers are configured (mcpServers in the config file)."
        row={(server) => (
          <tr key={server.name} data-mcp-server={server.name} data-mcp-status={server.status}>
            <th scope="row">{server.name}</th>
            <td>
              <StatusBadge tone={STATUS_CLASS[server.status]}>{server.status}</StatusBadge>
            </td>
            <td>{server.tools}</td>
            <td>{latencyText(server.latencyMs)}</td>
            <td data-mcp-breaker={server.breaker}>{server.breaker}</td>
            <td className="health__error">
              {server.error ?? ""}
              {server.lastErrorAt ? (
                <>
                  {" "}
                  <time dateTime={server.lastErrorAt}>
                    ({new Date(server.lastErrorAt).toLocaleTimeString()})
                  </time>
                </>
              ) : null}
            </td>
          </tr>
        )}
      />
    </section>
  );
}
