import { dismissNotice, useNotices } from "../lib/notices-store";

/** Conflicts, cache problems and failed actions; conflicts are alerts so screen readers announce them. */
export function Notices() {
  const notices = useNotices();
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div
          key={notice.id}
          className={`notice notice--${notice.kind}`}
          role={notice.kind === "info" ? "status" : "alert"}
          data-notice-kind={notice.kind}
        >
          <span className="notice__message">{notice.message}</span>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss notice"
            onClick={() => dismissNotice(notice.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
