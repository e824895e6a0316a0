import type { WidgetPropsByType } from "@agentboard/protocol";

type Cell = string | number | boolean | null | undefined;

function formatCell(value: Cell): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return String(value);
}

export function TableWidget({ props, title }: { props: WidgetPropsByType["table"]; title: string }) {
  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column.key} scope="col">
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            // Rows have no id in the catalogue; their position is their identity.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <tr key={i}>
              {props.columns.map((column) => {
                const value = Object.hasOwn(row, column.key) ? row[column.key] : undefined;
                return (
                  <td key={column.key} className={typeof value === "number" ? "is-number" : undefined}>
                    {formatCell(value)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
