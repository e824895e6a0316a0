import { useSyncStatus } from "./sync-status";

const LABEL = { connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" } as const;

export function SyncIndicator() {
  const { status, detail } = useSyncStatus();
  return (
    <output className={`sync sync--${status}`} data-sync-status={status} title={detail} aria-live="polite">
      <span className="sync__dot" aria-hidden="true" />
      <span className="sync__label">{LABEL[status]}</span>
      <span className="visually-hidden">. {detail}</span>
    </output>
  );
}
