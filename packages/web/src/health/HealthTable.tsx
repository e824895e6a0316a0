import type { ReactNode } from "react";

/**
 * The table of a Health page section: a header row, one row per item (`row` renders it, keyed), or one line
 * instead when there is nothing to show — "Connecting…" while the live list has not arrived (`null`).
 */
export function HealthTable<T>({
  items,
  columns,
  empty,
  row,
}: {
  items: readonly T[] | null;
  columns: readonly string[];
  empty: ReactNode;
  row: (item: T) => ReactNode;
}) {
  if (items === null || items.length === 0) {
    return <p className="health__empty">{items === null ? "Connecting…" : empty}</p>;
  }
  return (
    <table className="data-table">
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{items.map(row)}</tbody>
    </table>
  );
}

/** A status as a coloured badge; `tone` is one of the page's status colours (ok, degraded, down). */
export function StatusBadge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`health-status health-status--${tone}`}>{children}</span>;
}

/** A measured latency in whole milliseconds, or a dash when there is none yet. */
export function latencyText(latencyMs: number | undefined): string {
  return latencyMs !== undefined ? `${Math.round(latencyMs)} ms` : "—";
}
