import type { Approval } from "@agentboard/protocol";

export const ROUTE_LABEL = { auto: "Auto", quick: "Quick review", full: "Full review" } as const;
export const PRIORITY_LABEL = { low: "Low", normal: "Normal", high: "High", urgent: "Urgent" } as const;

/** `agent:prn_…`: the requester as a principal reference, which the directory turns into a display name. */
export function requesterOf(approval: Approval): string {
  return `${approval.requestedBy.kind}:${approval.requestedBy.id}`;
}

/** The exact arguments as stable, indented JSON text (rendered as text, never as HTML). */
export function formatArgs(args: unknown): string {
  if (args === undefined) return "(no arguments)";
  try {
    return JSON.stringify(args, null, 2) ?? String(args);
  } catch {
    return String(args);
  }
}
