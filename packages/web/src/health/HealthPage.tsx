import { ReadyResponseSchema } from "@agentboard/protocol";
import { useCallback, useEffect, useState } from "react";
import { describeError } from "../lib/errors";
import { AgentsSection } from "./AgentsSection";
import { HealthTable, StatusBadge } from "./HealthTable";
import { McpServersSection } from "./McpServersSection";

type Ready = ReturnType<typeof ReadyResponseSchema.parse>;
type Component = Ready["components"][string];

const REFRESH_MS = 10_000;
/** Components of /readyz by section; MCP servers and A2A agents are reported as `mcp` and `mesh`. */
const STORE_NAMES = ["sqlite", "redis", "postgres"];

async function fetchReady(): Promise<Ready> {
  // /readyz answers 503 with the same body when a required store is down: read it either way.
  const response = await fetch("/readyz", { headers: { accept: "application/json" }, cache: "no-store" });
  return ReadyResponseSchema.parse(await response.json());
}

function ComponentRow({ name, component }: { name: string; component: Component }) {
  return (
    <tr data-health-component={name} data-health-status={component.status}>
      <th scope="row">{name}</th>
      <td>
        <StatusBadge tone={component.status}>{component.status}</StatusBadge>
      </td>
      <td>{component.latencyMs !== undefined ? `${component.latencyMs} ms` : "—"}</td>
      <td className="health__error">{component.error ?? ""}</td>
    </tr>
  );
}

function Section({
  title,
  entries,
  empty,
  bare,
}: {
  title: string;
  entries: [string, Component][];
  empty: string;
  /** Only the table (or the empty line), inside a section of the caller's. */
  bare?: boolean;
}) {
  const body = (
    <HealthTable
      items={entries}
      columns={["Component", "Status", "Latency", "Error"]}
      empty={empty}
      row={([name, component]) => <ComponentRow key={name} name={name} component={component} />}
    />
  );
  if (bare) return body;
  return (
    <section className="health__section" aria-label={title}>
      <h2>{title}</h2>
      {body}
    </section>
  );
}

/** Readiness from /readyz (stores, mesh), and the MCP servers and agents live over the realtime connection. */
export function HealthPage() {
  const [ready, setReady] = useState<Ready | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);

  const check = useCallback(async () => {
    try {
      setReady(await fetchReady());
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
    setCheckedAt(new Date());
  }, []);

  useEffect(() => {
    void check();
    const timer = setInterval(() => void check(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [check]);

  const entries = Object.entries(ready?.components ?? {});
  const pick = (names: string[]) => entries.filter(([name]) => names.includes(name));
  const others = entries.filter(([name]) => ![...STORE_NAMES, "mcp", "mesh"].includes(name));
  return (
    <main className="health" aria-label="Health">
      <div className="health__head">
        <h1>Health</h1>
        {ready ? (
          <span className={`health-status health-status--${ready.status}`} data-ready-status={ready.status}>
            {ready.status === "ok" ? "Ready" : "Not ready"}
          </span>
        ) : null}
        <button type="button" className="button button--small" onClick={() => void check()}>
          Check again
        </button>
        {checkedAt ? <span className="health__checked">checked {checkedAt.toLocaleTimeString()}</span> : null}
      </div>
      {error ? (
        <p role="alert" className="health__error">
          The server did not answer: {error}
        </p>
      ) : null}
      <Section title="Stores" entries={[...pick(STORE_NAMES), ...others]} empty="No store reported." />
      <McpServersSection />
      <AgentsSection
        summary={
          <Section
            title="Agents"
            bare
            entries={pick(["mesh"])}
            empty="No remote agents are registered yet."
          />
        }
      />
    </main>
  );
}
