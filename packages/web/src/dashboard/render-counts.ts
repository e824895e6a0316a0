/**
 * Committed renders per widget, for tests and the benchmark to check that one widget's update re-renders
 * only that widget. Read through `window.__agentboard.renderCounts()`.
 */
const counts = new Map<string, number>();

export function countWidgetRender(widgetId: string): void {
  counts.set(widgetId, (counts.get(widgetId) ?? 0) + 1);
}

declare global {
  interface Window {
    __agentboard?: { renderCounts(): Record<string, number> };
  }
}

window.__agentboard = { renderCounts: () => Object.fromEntries(counts) };
