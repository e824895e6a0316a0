import { createStore, useStore } from "zustand";

/**
 * One shared clock for relative times and countdowns. Components select a coarse value (whole seconds,
 * whole minutes), so a tick re-renders only what actually shows a different text.
 */
export const clockStore = createStore<{ now: number }>(() => ({ now: Date.now() }));

let timer: ReturnType<typeof setInterval> | undefined;

export function startClock(): () => void {
  if (timer === undefined) timer = setInterval(() => clockStore.setState({ now: Date.now() }), 1000);
  return () => {
    clearInterval(timer);
    timer = undefined;
  };
}

/** The current time, updated every `stepMs` (rounded down to it). */
export function useNow(stepMs = 1000): number {
  return useStore(clockStore, (state) => Math.floor(state.now / stepMs) * stepMs);
}
