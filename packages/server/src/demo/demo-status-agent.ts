import type { Principal } from "../auth/principal.js";
import type { AgentDirectory } from "../mesh/agent-directory.js";
import { fetchAgentCard } from "../mesh/card-fetcher.js";
import type { AgentProber } from "../mesh/prober.js";

/** What the demo needs of the agent mesh: the directory it registers in, and the prober. */
export interface DemoMesh {
  directory: AgentDirectory;
  prober: Pick<AgentProber, "sweep">;
}

export interface RegisteredStatusAgent {
  agentId: string;
  /** Removes it from the directory and withdraws its loopback exception. */
  unregister(): Promise<void>;
}

/**
 * Registers the demo's A2A status agent (examples/demo/status-agent.mjs, a child of this server on a
 * loopback port) in the owner's workspace by its card URL, the way an admin registers any remote agent.
 *
 * The SSRF guard refuses loopback unless AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK is on, and the demo must
 * not switch that on for everyone: it would let any admin register agents on this machine's private
 * network. Instead exactly this agent's origin is admitted (`ownAgentOrigins`: the card fetch, the prober
 * and bound widgets honour it), because this process started the agent itself and knows what listens there —
 * only while it runs: once `exited` settles the port is anyone's, so the exception goes with the agent.
 */
export async function registerStatusAgent(
  mesh: DemoMesh,
  owner: Principal,
  cardUrl: string,
  exited: Promise<unknown>,
): Promise<RegisteredStatusAgent> {
  const { directory } = mesh;
  const origin = new URL(cardUrl).origin;
  directory.ownAgentOrigins.add(origin);
  void exited.finally(() => directory.ownAgentOrigins.delete(origin));
  try {
    const fetched = await fetchAgentCard(cardUrl, { privateOrigins: directory.ownAgentOrigins });
    await removeEarlierRuns(directory, owner, fetched.card.name);
    const agent = await directory.register(owner, cardUrl, fetched);
    // Registration counts as one good probe; a sweep now makes the second, so the Health page shows the
    // agent healthy from the start instead of "unknown" for one probe interval.
    await mesh.prober.sweep();
    return {
      agentId: agent.id,
      async unregister() {
        await directory.remove(owner, agent.id).catch(() => undefined);
        directory.ownAgentOrigins.delete(origin);
      },
    };
  } catch (error) {
    directory.ownAgentOrigins.delete(origin);
    throw error;
  }
}

/**
 * The status agent of a demo that did not stop cleanly (killed): same card name, a loopback card URL on a
 * port nobody serves any more. Left there it would show unhealthy on the Health page for good.
 */
async function removeEarlierRuns(directory: AgentDirectory, owner: Principal, name: string): Promise<void> {
  for (const agent of await directory.list(owner.workspaceId)) {
    if (agent.kind !== "a2a" || agent.name !== name || !agent.cardUrl) continue;
    if (new URL(agent.cardUrl).hostname !== "127.0.0.1") continue;
    await directory.remove(owner, agent.id);
  }
}
