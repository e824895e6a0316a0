import type { Agent, Member } from "@agentboard/protocol";

/** What the app shows for a principal reference; `id` is what stays stable underneath (a tooltip). */
export interface ShownName {
  name: string;
  id: string;
  /**
   * Whether the directory knows this principal (or label). Free text that only may be an id, such as a task's
   * assignee, shows as written unless it is known.
   */
  known: boolean;
}

export interface NameIndex {
  /** Display names by id: agents' cards (the directory) over members (users). */
  byId: ReadonlyMap<string, string>;
  /** Agents' display names by the labels others may write for them: their own name and aliases. */
  byLabel: ReadonlyMap<string, string>;
}

/** The directory wins for agents (it follows renames live); members give users their names. */
export function indexNames(agents: readonly Agent[], members: readonly Member[]): NameIndex {
  const byId = new Map<string, string>();
  for (const member of members) byId.set(member.id, member.displayName);
  const byLabel = new Map<string, string>();
  for (const agent of agents) {
    byId.set(agent.id, agent.displayName);
    for (const label of [agent.name, ...(agent.aliases ?? [])]) {
      if (!byLabel.has(label)) byLabel.set(label, agent.displayName);
    }
  }
  return { byId, byLabel };
}

/** `agent:prn_…` (widget stamps) or a bare id → the id; `system:*` is the server's own bookkeeping. */
export function idOfRef(ref: string): { id: string; system: boolean } {
  const match = /^(user|agent|system):(.+)$/.exec(ref);
  if (!match) return { id: ref, system: false };
  return { id: match[2]!, system: match[1] === "system" };
}

/**
 * The name to show for a principal reference (`<kind>:<id>`, or a bare id), or for a free-text label such
 * as an activity entry's actor when `labels` is set (an agent's name or alias reads as its display name).
 * Unknown ids show as they are: never a blank.
 */
export function resolveName(index: NameIndex, ref: string, options: { labels?: boolean } = {}): ShownName {
  const { id, system } = idOfRef(ref);
  if (system) return { name: "agentboard", id: ref, known: false };
  const known = index.byId.get(id) ?? (options.labels ? index.byLabel.get(ref) : undefined);
  return { name: known ?? ref, id, known: known !== undefined };
}
