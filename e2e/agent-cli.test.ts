import { afterEach, describe, expect, it } from "vitest";
import { startSdkAgent } from "../packages/server/test/mesh/a2a-fixtures.js";
import { cleanupCli, lastLine, makeTempDir, runCli, startCliServer } from "./helpers/cli.js";

afterEach(cleanupCli);

// Each step is a CLI process of its own (about a second or two each on a busy machine).
describe("agentboard agent", { timeout: 120_000 }, () => {
  it("add registers a remote A2A agent on a running server, list shows it, edit renames it, rm removes it", async () => {
    const dataDir = makeTempDir();
    const created = await runCli([
      "token",
      "create",
      "--kind",
      "user",
      "--name",
      "ada",
      "--role",
      "admin",
      "--data-dir",
      dataDir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = lastLine(created.stdout);
    const remote = await startSdkAgent("Weather agent");
    // The fixture listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
    const server = await startCliServer({
      dataDir,
      env: { AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true" },
    });
    try {
      const withToken = ["--url", server.url, "--token", token];
      const added = await runCli(["agent", "add", remote.cardUrl, ...withToken]);
      expect(added.code, added.stderr).toBe(0);
      const id = /^registered (\S+) Weather agent \(1 skill\(s\)\)$/.exec(added.stdout.trim())?.[1];
      expect(id, added.stdout).toBeDefined();

      // AGENTBOARD_TOKEN stands in for --token.
      const listed = await runCli(["agent", "list", "--url", server.url], {
        env: { AGENTBOARD_TOKEN: token },
      });
      expect(listed.code, listed.stderr).toBe(0);
      const lines = listed.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+STATUS\s+LATENCY\s+CHECKED\s+CARD$/);
      expect(lines.find((line) => line.startsWith(`${id} `))).toMatch(
        new RegExp(`^${id}\\s+Weather agent\\s+a2a\\s+\\S+\\s+.*${remote.cardUrl.replaceAll(".", "\\.")}$`),
      );
      const json = await runCli(["agent", "list", "--json", ...withToken]);
      expect(JSON.parse(json.stdout)).toContainEqual(
        expect.objectContaining({ id, kind: "a2a", name: "Weather agent", cardUrl: remote.cardUrl }),
      );

      // edit renames (and an empty value clears back to the card's own name); a bad value is the server's 422.
      const edited = await runCli([
        "agent",
        "edit",
        id!,
        "--display-name",
        "Forecaster",
        "--aliases",
        "wx, meteo",
        ...withToken,
      ]);
      expect(edited.code, edited.stderr).toBe(0);
      expect(edited.stdout).toBe(`updated ${id} Forecaster\n`);
      const renamed = JSON.parse((await runCli(["agent", "list", "--json", ...withToken])).stdout);
      expect(renamed).toContainEqual(
        expect.objectContaining({ id, displayName: "Forecaster", aliases: ["wx", "meteo"] }),
      );
      const cleared = await runCli(["agent", "edit", id!, "--display-name", "", ...withToken]);
      expect(cleared.stdout).toBe(`updated ${id} Weather agent\n`);
      const badIcon = await runCli(["agent", "edit", id!, "--icon-url", "javascript:alert(1)", ...withToken]);
      expect(badIcon.code).toBe(1);
      expect(badIcon.stderr).toMatch(/PATCH \/api\/agents\/\S+ answered 422/);
      const nothing = await runCli(["agent", "edit", id!, ...withToken]);
      expect(nothing.code).toBe(2);

      const removed = await runCli(["agent", "rm", id!, ...withToken]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toBe(`removed ${id}\n`);
      const after = await runCli(["agent", "list", "--json", ...withToken]);
      expect(JSON.parse(after.stdout).map((a: { id: string }) => a.id)).not.toContain(id);

      // Server-side refusals come back as runtime failures (exit 1) with the server's message.
      const again = await runCli(["agent", "rm", id!, ...withToken]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/DELETE \/api\/agents\/\S+ answered 404/);
      const wrong = await runCli(["agent", "list", "--url", server.url, "--token", "ab_wrong"]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain("answered 401");
    } finally {
      await server.stop();
      await remote.close();
    }
  });

  it("without --token or AGENTBOARD_TOKEN is a usage error (exit 2)", async () => {
    const result = await runCli(["agent", "list"], { env: { AGENTBOARD_TOKEN: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("agent list needs --token or AGENTBOARD_TOKEN");
  });
});
