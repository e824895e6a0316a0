import type { Widget } from "@agentboard/protocol";
import type { Principal } from "../auth/principal.js";

export type WidgetSource = NonNullable<Widget["source"]>;

/** Why a source run failed; each becomes the widget error's code (`source_<reason>`), always retryable. */
export type SourceFailureReason =
  | "unreachable"
  | "timeout"
  | "invalid_data"
  | "too_large"
  | "failed"
  | "refused";

export class SourceFailure extends Error {
  constructor(
    readonly reason: SourceFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface SourceRun {
  workspaceId: string;
  /** Who pressed Retry: the source runs with their rights (an MCP call is theirs). */
  principal: Principal;
  source: WidgetSource;
  /** Aborts at the refresh timeout. */
  signal: AbortSignal;
  /** The largest data the refresher accepts (JSON bytes); a runner reading an answer may stop early. */
  maxBytes: number;
}

/**
 * Runs a widget's bound source for the refresher. Implemented by the capabilities that own the source kind
 * (mesh: remote A2A agents; the MCP gateway: tools) and injected, so dashboards/ imports neither.
 */
export interface WidgetSourceRunner {
  /** False when the refresh should go to the writer instead (e.g. a local agent: the `refresh` frame). */
  handles(source: WidgetSource, workspaceId: string): Promise<boolean>;
  /** The widget's new props (validated by the refresher); throws SourceFailure. */
  run(request: SourceRun): Promise<unknown>;
}

/** The runners by source kind; the dashboards plugin decorates the app with one (`app.widgetSources`). */
export class WidgetSources {
  private readonly runners = new Map<WidgetSource["kind"], WidgetSourceRunner>();

  register(kind: WidgetSource["kind"], runner: WidgetSourceRunner): void {
    this.runners.set(kind, runner);
  }

  async runnerFor(source: WidgetSource | undefined, workspaceId: string) {
    const runner = source ? this.runners.get(source.kind) : undefined;
    return runner && source && (await runner.handles(source, workspaceId)) ? runner : undefined;
  }
}
