import type { Widget } from "@agentboard/protocol";
import { useState } from "react";
import { describeError } from "../lib/errors";

/** Retry button with its own progress: the request, then the widget's `loading` status takes over. */
export function RetryButton({
  onRetry,
  label = "Retry",
}: {
  onRetry(): Promise<void>;
  label?: "Retry" | "Refresh";
}) {
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const run = async () => {
    setState({ busy: true });
    try {
      await onRetry();
      setState({ busy: false });
    } catch (error) {
      setState({ busy: false, error: describeError(error) });
    }
  };
  return (
    <span className="retry">
      <button
        type="button"
        className="button button--small"
        onClick={run}
        disabled={state.busy}
        aria-busy={state.busy}
      >
        {state.busy ? <span className="spinner" aria-hidden="true" /> : null}
        {label}
      </button>
      {state.error ? (
        <span className="retry__error" role="alert">
          {label} failed: {state.error}
        </span>
      ) : null}
    </span>
  );
}

export function WidgetError({ error, onRetry }: { error: Widget["error"]; onRetry(): Promise<void> }) {
  const retryable = error?.retryable ?? true;
  return (
    <div className="widget-state widget-state--error">
      <span className="widget-state__icon" aria-hidden="true">
        !
      </span>
      <p className="widget-state__message">{error?.message ?? "This widget failed to load."}</p>
      {retryable ? (
        <RetryButton onRetry={onRetry} />
      ) : (
        <p className="widget-state__hint">This error cannot be retried.</p>
      )}
    </div>
  );
}

export function WidgetEmpty() {
  return (
    <div className="widget-state widget-state--empty">
      <span className="widget-state__icon" aria-hidden="true">
        ∅
      </span>
      <p className="widget-state__message">Nothing to show yet.</p>
    </div>
  );
}

export function StaleBanner({ onRefresh }: { onRefresh(): Promise<void> }) {
  return (
    <div className="stale-banner">
      <span>Out of date — the source has not reported recently.</span>
      <RetryButton onRetry={onRefresh} label="Refresh" />
    </div>
  );
}
