#!/usr/bin/env node
// @ts-check
// Demo approval agent: every so often it wants to do something risky, asks a human first
// (`board.approvals.request(...)`, then `await handle.wait()` — event-driven, no polling loop here), and
// logs what it does once the request is decided. It shows its state on the dashboard in an alert widget
// ("Deploy pipeline") when AGENTBOARD_DASHBOARD is set.
//
//   AGENTBOARD_URL=… AGENTBOARD_TOKEN=ab_… [AGENTBOARD_DASHBOARD=user:usr_…] node examples/demo/approval-agent.mjs [--once]
import {
  ApprovalCancelledError,
  ApprovalExpiredError,
  ApprovalRejectedError,
  createBoardClient,
  WaitTimeoutError,
} from "@agentboard/client";
import { exitWith, log, messageOf, numberEnv, requireEnv, signalReady, sleep } from "./agent-support.mjs";

const url = requireEnv("AGENTBOARD_URL");
const token = requireEnv("AGENTBOARD_TOKEN");
const dashboard = process.env.AGENTBOARD_DASHBOARD;
const once = process.argv.includes("--once");
const firstDelayMs = numberEnv("AGENTBOARD_DEMO_APPROVAL_FIRST_MS", once ? 1 : 8_000);
const everyMs = numberEnv("AGENTBOARD_DEMO_APPROVAL_EVERY_MS", 60_000);
const expiresInSec = numberEnv("AGENTBOARD_DEMO_APPROVAL_EXPIRES_SEC", 600);

const board = createBoardClient({ url, token });
const WIDGET_ID = "deploy-pipeline";

/** What the agent wants to do, in turn. Confidence feeds the server's routing policy. */
const REQUESTS = [
  {
    type: "deploy",
    title: "Deploy web-frontend 1.8.3 to production",
    description: "All checks passed on staging. The release contains the checkout redirect fix.",
    action: {
      tool: "deploy",
      args: { service: "web-frontend", version: "1.8.3", environment: "production" },
    },
    priority: /** @type {const} */ ("high"),
    confidence: 72,
  },
  {
    type: "db.migration",
    title: "Run migration 0042_add_invoice_index on the primary database",
    description: "Adds an index concurrently; expected lock time under 1 s.",
    action: {
      tool: "migrate",
      args: { database: "primary", migration: "0042_add_invoice_index", concurrently: true },
    },
    priority: /** @type {const} */ ("urgent"),
    confidence: 45,
  },
  {
    type: "email.campaign",
    title: "Send the March newsletter to 12,408 subscribers",
    action: {
      tool: "send_campaign",
      args: { campaign: "newsletter-2025-03", audience: "subscribers", count: 12408 },
    },
    priority: /** @type {const} */ ("normal"),
    confidence: 64,
  },
];

/**
 * The alert widget this agent owns; failures to draw are logged, never fatal.
 * @param {"info" | "success" | "warning" | "error"} severity
 * @param {string} message
 * @param {{label: string, href: string}} [link]
 */
async function show(severity, message, link) {
  if (!dashboard) return;
  try {
    await board.dashboards.upsertWidget(dashboard, WIDGET_ID, {
      type: "alert",
      title: "Deploy pipeline",
      props: { severity, message, ...(link ? { link } : {}) },
    });
  } catch (error) {
    log(`approval-agent: could not update the dashboard: ${messageOf(error)}`);
  }
}

/** @param {{kind: string, id: string} | undefined} who */
const by = (who) => (who ? ` by ${who.kind}:${who.id}` : "");
/** @param {string | undefined} reason */
const because = (reason) => (reason ? ` (reason: ${reason})` : "");

/** Asks once and acts on the answer. */
async function askAndAct(/** @type {number} */ round) {
  const request = REQUESTS[round % REQUESTS.length] ?? REQUESTS[0];
  if (!request) return;
  const handle = await board.approvals.request({ ...request, expiresInSec });
  log(
    `approval-agent: requested approval ${handle.id} "${request.title}" (route ${handle.approval.route}); waiting for a decision`,
  );
  await show("warning", `Waiting for approval: ${request.title}`, {
    label: "Open the inbox",
    href: "/inbox",
  });
  try {
    const approval = await handle.wait();
    const how =
      approval.status === "auto_approved" ? "auto-approved by policy" : `approved${by(approval.decidedBy)}`;
    log(
      `approval-agent: approval ${handle.id} ${how}${because(approval.reason)}; running ${request.action.tool}`,
    );
    await show("success", `Done: ${request.title} (${how}).`);
  } catch (error) {
    if (ApprovalRejectedError.isInstance(error)) {
      log(
        `approval-agent: approval ${handle.id} rejected${by(error.approval.decidedBy)}${because(error.reason)}; not running ${request.action.tool}`,
      );
      await show("error", `Rejected: ${request.title}${because(error.reason)}.`);
    } else if (ApprovalCancelledError.isInstance(error)) {
      log(
        `approval-agent: approval ${handle.id} cancelled${by(error.approval.decidedBy)}${because(error.reason)}; dropping the task`,
      );
      await show("info", `Cancelled: ${request.title}${because(error.reason)}.`);
    } else if (ApprovalExpiredError.isInstance(error)) {
      log(`approval-agent: approval ${handle.id} expired without a decision; giving up`);
      await show("info", `Nobody decided in time: ${request.title}.`);
    } else if (WaitTimeoutError.isInstance(error)) {
      log(`approval-agent: still no decision on ${handle.id}; moving on`);
    } else {
      throw error;
    }
  }
}

let stopped = false;
exitWith(async () => {
  stopped = true;
});

await show("info", "Deploy pipeline idle: the next release will wait for a human approval.");
signalReady();
log(
  `approval-agent: ready; first request in ${Math.round(firstDelayMs / 1000)} s${once ? "" : `, then every ${Math.round(everyMs / 1000)} s`}`,
);
await sleep(firstDelayMs);
for (let round = 0; !stopped; round++) {
  try {
    await askAndAct(round);
  } catch (error) {
    log(`approval-agent: ${messageOf(error)}`);
  }
  if (once) break;
  await sleep(everyMs);
}
process.exit(0);
