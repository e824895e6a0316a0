import type { Agent, Member } from "@agentboard/protocol";
import { describe, expect, it } from "vitest";
import { indexNames, resolveName } from "./names";

const agent = (id: string, name: string, displayName: string, aliases?: string[]): Agent => ({
  id,
  kind: id.startsWith("a2a_") ? "a2a" : "local",
  name,
  displayName,
  ...(aliases ? { aliases } : {}),
  skills: [],
  status: "unknown",
});
const member = (id: string, kind: "user" | "agent", displayName: string): Member => ({
  id,
  kind,
  name: displayName,
  displayName,
});

describe("display names", () => {
  const index = indexNames(
    [
      agent("prn_bot", "deploy-bot", "Deploy Bot", ["deployer"]),
      agent("a2a_x", "Weather agent", "Forecaster"),
    ],
    [member("prn_ada", "user", "ada"), member("prn_bot", "agent", "deploy-bot (stale)")],
  );

  it("names principal references by id; the live directory wins over the members list", () => {
    expect(resolveName(index, "agent:prn_bot")).toEqual({ name: "Deploy Bot", id: "prn_bot", known: true });
    expect(resolveName(index, "user:prn_ada")).toEqual({ name: "ada", id: "prn_ada", known: true });
    expect(resolveName(index, "a2a_x")).toEqual({ name: "Forecaster", id: "a2a_x", known: true });
  });

  it("shows unknown ids as they are and the server's own stamps as agentboard", () => {
    expect(resolveName(index, "agent:prn_new")).toEqual({
      name: "agent:prn_new",
      id: "prn_new",
      known: false,
    });
    expect(resolveName(index, "system:refresh").name).toBe("agentboard");
  });

  it("resolves an agent's name or alias only where free-text labels are asked for", () => {
    expect(resolveName(index, "deployer", { labels: true }).name).toBe("Deploy Bot");
    expect(resolveName(index, "Weather agent", { labels: true }).name).toBe("Forecaster");
    expect(resolveName(index, "deployer").name).toBe("deployer");
    expect(resolveName(index, "ci", { labels: true }).name).toBe("ci");
  });
});
