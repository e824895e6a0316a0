import type { Agent, Member } from "@agentboard/protocol";
import { useEffect } from "react";
import { createStore, useStore } from "zustand";
import { board } from "../lib/api";
import { idOfRef, indexNames, type NameIndex, resolveName, type ShownName } from "./names";

export interface DirectoryState {
  /** The agent directory as `board.agents.watch()` last reported it; null before the first list. */
  agents: readonly Agent[] | null;
  members: readonly Member[];
  live: boolean;
  index: NameIndex;
}

const initialDirectory = (): DirectoryState => ({
  agents: null,
  members: [],
  live: false,
  index: indexNames([], []),
});

/**
 * The one source of names in the app: the agent directory, live over the app's realtime connection (so a
 * rename shows on every open page without a reload), and the members list for users. Every view reads
 * from here; none fetches names of its own.
 */
export const directoryStore = createStore<DirectoryState>(initialDirectory);

/** An unknown id makes us read the members again (a new agent token since), at most this often. */
const MEMBERS_RETRY_MS = 5_000;
let membersReadAt = 0;
let membersReading: Promise<void> | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

function setLists(agents: readonly Agent[] | null, members: readonly Member[]): void {
  directoryStore.setState({ agents, members, index: indexNames(agents ?? [], members) });
}

/** Bumped on sign-out, so a read still under way then does not write into the next session's names. */
let session = 0;

function readMembers(): Promise<void> {
  membersReadAt = Date.now();
  const current = session;
  membersReading ??= board.members
    .list()
    .then((members) => {
      if (current === session) setLists(directoryStore.getState().agents, members);
    })
    // Names are a nicety: without the list, ids show as they are until the next read.
    .catch(() => undefined)
    .finally(() => {
      membersReading = undefined;
    });
  return membersReading;
}

/** Follows the directory while signed in; returns the function that stops it and forgets the names. */
export function followDirectory(): () => void {
  const watch = board.agents.watch((signal) => {
    if (signal.kind === "agents") {
      const first = !directoryStore.getState().live;
      directoryStore.setState({ live: true });
      setLists(signal.agents, directoryStore.getState().members);
      // On every (re)subscription: members may have changed while the socket was away.
      if (first) void readMembers();
    } else directoryStore.setState({ live: false });
  });
  return () => {
    void watch.close();
    clearTimeout(retryTimer);
    retryTimer = undefined;
    session++;
    directoryStore.setState(initialDirectory());
  };
}

/** A name nobody knows yet: maybe a principal created after the members were read. Read them again soon. */
function noteUnknown(): void {
  if (membersReading || retryTimer !== undefined) return;
  const wait = membersReadAt + MEMBERS_RETRY_MS - Date.now();
  if (wait <= 0) void readMembers();
  else {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void readMembers();
    }, wait);
  }
}

export function useDirectory<T>(selector: (state: DirectoryState) => T): T {
  return useStore(directoryStore, selector);
}

/**
 * The display name of `ref` (`<kind>:<id>` or an id; with `labels`, also an agent's name or alias). Selects
 * only the name (and whether it is known), so a rename re-renders just the places that show it.
 */
export function useShownName(ref: string, options: { labels?: boolean } = {}): ShownName {
  const labels = options.labels === true;
  const name = useStore(directoryStore, (state) => resolveName(state.index, ref, { labels }).name);
  const known = useStore(directoryStore, (state) => resolveName(state.index, ref, { labels }).known);
  const { id, system } = idOfRef(ref);
  const unknown = useStore(
    directoryStore,
    (state) => !labels && !system && state.agents !== null && !state.index.byId.has(id),
  );
  useEffect(() => {
    if (unknown) noteUnknown();
  }, [unknown]);
  return { name, id, known };
}
