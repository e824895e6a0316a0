import { useEffect } from "react";
import { decide, decideChecked } from "./approval-actions";
import { approvalsStore, moveSelection, toggleChecked } from "./approvals-store";

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * Keyboard triage: j/k move, a approves (the ticked rows if any, else the selected one), r moves to the
 * reason field (Enter there rejects), x ticks the selected row. Keys typed into a field are left alone.
 */
export function useInboxKeys(options: { focusReason(): void; focusSelected(): void }) {
  const { focusReason, focusSelected } = options;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (
        event.defaultPrevented ||
        event.altKey ||
        event.ctrlKey ||
        event.metaKey ||
        typingInto(event.target)
      )
        return;
      const { selectedId, checked } = approvalsStore.getState();
      switch (event.key) {
        case "j":
          moveSelection(1);
          break;
        case "k":
          moveSelection(-1);
          break;
        case "a":
          if (Object.keys(checked).length > 0) void decideChecked("approve");
          else if (selectedId) void decide(selectedId, "approve");
          else return;
          break;
        case "r":
          if (!selectedId) return;
          focusReason();
          break;
        case "x":
          if (!selectedId) return;
          toggleChecked(selectedId);
          break;
        default:
          return;
      }
      event.preventDefault();
      if (event.key === "j" || event.key === "k") focusSelected();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [focusReason, focusSelected]);
}
