import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  castOf,
  createApproval,
  deployRequest,
  openDatabaseFile,
  startTestServer,
} from "@agentboard/test-support";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runAuditVerify } from "../../src/approvals/audit-verify-command.js";
import { openSqlite } from "../../src/storage/sqlite.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const CLI = join(REPO, "packages/server/bin/agentboard.js");

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A data dir with history in two workspaces: in `default` one approved, one cancelled, one pending and one
 * auto-approved request (seq 1–6); in `elsewhere` one rejected request.
 */
async function seededDataDir() {
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-audit-"));
  dirs.push(dataDir);
  // Deploys may be auto-approved here: the history needs one auto-approved request.
  const server = await startTestServer({ AGENTBOARD_APPROVAL_AUTO_TYPES: "deploy" }, { dataDir });
  try {
    const cast = await castOf(server);
    const approved = await createApproval(cast.agent); // seq 1
    await cast.alice.request("POST", `/api/approvals/${approved.id}/approve`, { reason: "ship it" }); // seq 2
    const cancelled = await createApproval(cast.agent); // seq 3
    await cast.agent.request("DELETE", `/api/approvals/${cancelled.id}`, { reason: "obsolete" }); // seq 4
    const pending = await createApproval(cast.agent); // seq 5
    const auto = await createApproval(cast.agent, deployRequest({ confidence: 95 })); // seq 6
    const elsewhereAgent = await server.caller({ kind: "agent", name: "a", workspace: "elsewhere" });
    const elsewhereUser = await server.caller({ name: "u", workspace: "elsewhere" });
    const rejected = await createApproval(elsewhereAgent);
    await elsewhereUser.request("POST", `/api/approvals/${rejected.id}/reject`);
    return { dataDir, approved, cancelled, pending, auto, rejected };
  } finally {
    await server.close();
  }
}

async function verifyInProcess(dataDir: string, workspace?: string) {
  const sqlite = await openSqlite(join(dataDir, "agentboard.sqlite"), { log: console });
  try {
    return await runAuditVerify(sqlite.db, workspace);
  } finally {
    await sqlite.close();
  }
}

function tamper(dataDir: string, sql: string, ...params: unknown[]) {
  const db = openDatabaseFile(dataDir);
  try {
    const result = db.prepare(sql).run(...params);
    expect(result.changes).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: REPO, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("agentboard audit verify (the real CLI)", () => {
  beforeAll(async () => {
    // The CLI runs the build; tsc -b is incremental, so this is quick when the build is current.
    await run("npx", ["tsc", "-b", "packages/protocol", "packages/client", "packages/server"], {
      cwd: REPO,
      timeout: 120_000,
    });
  }, 180_000);

  it("exits 0 with a summary on an intact store, and 1 naming the row whose reason was edited", async () => {
    const { dataDir, approved } = await seededDataDir();
    const intact = await cli(["audit", "verify", "--data-dir", dataDir]);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(
      /^audit verify: OK: 2 workspace\(s\), 8 audit row\(s\), 5 approval\(s\) checked/,
    );
    expect(intact.stdout).toMatch(/default \(ws_\w+\): 6 row\(s\), head [0-9a-f]{64}/);

    tamper(
      dataDir,
      "UPDATE approval_audit SET reason = 'looks fine to me' WHERE seq = 2 AND approval_id = ?",
      approved.id,
    );
    const tampered = await cli(["audit", "verify", "--data-dir", dataDir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toBe("");
    expect(tampered.stderr.trim()).toMatch(
      new RegExp(
        `^audit verify: FAILED at workspace default \\(ws_\\w+\\), seq 2, approval ${approved.id}: hash mismatch`,
      ),
    );

    const onlyElsewhere = await cli(["audit", "verify", "--data-dir", dataDir, "--workspace", "elsewhere"]);
    expect(onlyElsewhere.code, onlyElsewhere.stderr).toBe(0);
    expect(onlyElsewhere.stdout).toContain("1 workspace(s), 2 audit row(s), 1 approval(s)");
  });

  it("exits 2 for an unknown workspace or a data dir without a store", async () => {
    const { dataDir } = await seededDataDir();
    const unknown = await cli(["audit", "verify", "--data-dir", dataDir, "--workspace", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workspace "nope"');
    const empty = mkdtempSync(join(tmpdir(), "agentboard-empty-"));
    dirs.push(empty);
    const none = await cli(["audit", "verify", "--data-dir", empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no embedded store");
  });
});

/** Seq numbers restart in every workspace; tampering by seq must name the workspace. */
const IN_DEFAULT = "WHERE workspace_id = (SELECT id FROM workspaces WHERE name = 'default')";

describe("what audit verify detects", () => {
  type Seeded = Awaited<ReturnType<typeof seededDataDir>>;
  const cases: Array<[string, (s: Seeded) => [string, ...unknown[]], RegExp]> = [
    [
      "an edited audit row",
      () => [`UPDATE approval_audit SET actor = 'user:usr_x' ${IN_DEFAULT} AND seq = 4`],
      /seq 4, .*hash mismatch/,
    ],
    [
      "edited policy details",
      () => [`UPDATE approval_audit SET details = '{}' ${IN_DEFAULT} AND seq = 1`],
      /seq 1, .*hash mismatch/,
    ],
    [
      "a deleted middle row",
      () => [`DELETE FROM approval_audit ${IN_DEFAULT} AND seq = 3`],
      /seq 4, .*gap in seq: expected 3, found 4/,
    ],
    [
      "a row re-linked to another predecessor",
      () => [`UPDATE approval_audit SET prev_hash = hash ${IN_DEFAULT} AND seq = 5`],
      /seq 5, .*broken prev link/,
    ],
    ["a deleted last row", () => [`DELETE FROM approval_audit ${IN_DEFAULT} AND seq = 6`], /head mismatch/],
    [
      "a status flipped without an audit row",
      (s) => ["UPDATE approvals SET status = 'approved' WHERE id = ?", s.pending.id],
      /approval apr_\w+: the approval's status is approved but its last audit row says pending/,
    ],
    [
      "arguments swapped after approval",
      (s) => [
        `UPDATE approvals SET action = '{"tool":"deploy","args":{"service":"db"}}' WHERE id = ?`,
        s.approved.id,
      ],
      /action does not match its argsHash/,
    ],
    [
      "arguments and argsHash swapped together",
      (s) => [
        "UPDATE approvals SET action = '{}', args_hash = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' WHERE id = ?",
        s.approved.id,
      ],
      /argsHash differs from the one recorded when it was created/,
    ],
    [
      "a whole approval deleted with its rows",
      (s) => ["DELETE FROM approval_audit WHERE approval_id = ?", s.cancelled.id],
      /gap in seq: expected 3, found 5/,
    ],
    [
      "audit rows re-assigned to another approval",
      (s) => ["UPDATE approval_audit SET approval_id = 'apr_other' WHERE approval_id = ?", s.auto.id],
      /hash mismatch/,
    ],
  ];

  it.each(cases)("%s", async (_name, statement, expected) => {
    const seeded = await seededDataDir();
    expect(await verifyInProcess(seeded.dataDir)).toMatchObject({ exitCode: 0 });
    const [sql, ...params] = statement(seeded);
    tamper(seeded.dataDir, sql, ...params);
    const outcome = await verifyInProcess(seeded.dataDir);
    expect(outcome).toMatchObject({ exitCode: 1 });
    const line = (outcome as { lines: string[] }).lines.join("\n");
    expect(line).toMatch(/^audit verify: FAILED at workspace default/);
    expect(line).toMatch(expected);
  });
});
