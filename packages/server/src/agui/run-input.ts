import type { RunAgentInput } from "@ag-ui/core";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import {
  AgentboardError,
  AguiOptionsSchema,
  AguiStatePositionSchema,
  toValidationIssues,
} from "@agentboard/protocol";

/** A run as asked for: AG-UI's input, whether to keep following, and where the client's state stands. */
export interface AguiRunRequest {
  input: RunAgentInput;
  follow: boolean;
  /** The rev of the client's state when it is one this stream sent for this dashboard id. */
  sinceRev: number | undefined;
}

const refuse = (message: string, error: Parameters<typeof toValidationIssues>[0]) =>
  new AgentboardError("bad_request", message, { issues: toValidationIssues(error) });

/**
 * Reads a POST body as an AG-UI RunAgentInput (@ag-ui/core's schema, the one source of its shape). What is
 * not one is `bad_request` (400) with the schema's issues.
 */
export function parseRunRequest(body: unknown, dashboardId: string): AguiRunRequest {
  const parsed = RunAgentInputSchema.safeParse(body);
  if (!parsed.success) throw refuse("the body is not an AG-UI RunAgentInput", parsed.error);
  const input = parsed.data as RunAgentInput;
  const forwarded = input.forwardedProps as { agentboard?: unknown } | undefined;
  const options = AguiOptionsSchema.safeParse(forwarded?.agentboard ?? {});
  if (!options.success) throw refuse("forwardedProps.agentboard must be {follow?: boolean}", options.error);
  // A state this stream sent (a front-end hands its state back on every run) resumes from its rev. Anything
  // else — an empty state, another dashboard's — starts from a snapshot.
  const position = AguiStatePositionSchema.safeParse(input.state);
  const sinceRev =
    position.success && position.data.dashboardId === dashboardId ? position.data.rev : undefined;
  return { input, follow: options.data.follow ?? true, sinceRev };
}
