import type { FastifyInstance } from "fastify";

/**
 * A minimal page at `/` until the React dashboard (@agentboard/web) is served: it exchanges the one-time
 * `?login=` code for the session cookie and lists the widgets of the user's dashboard, so the login URL that
 * `agentboard start` prints works end to end. Agent data is only ever set as textContent.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>agentboard</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.3rem}.w{border:1px solid #d5d9e2;border-radius:8px;padding:.6rem .9rem;margin:.5rem 0}
.t{font-weight:600}.m{color:#5b6478;font-size:.85rem}pre{white-space:pre-wrap;font-size:.8rem}</style></head>
<body><h1>agentboard</h1><p id="status">Loading…</p><div id="widgets"></div>
<script src="/placeholder.js"></script></body></html>`;

const SCRIPT = `(async () => {
  const status = document.getElementById("status");
  const list = document.getElementById("widgets");
  const params = new URLSearchParams(location.search);
  const code = params.get("login");
  if (code) {
    const res = await fetch("/api/auth/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
    history.replaceState(null, "", "/");
    if (!res.ok) { status.textContent = "This login link is not valid any more (links work once). Run: npx agentboard login-url"; return; }
  }
  const me = await fetch("/api/me");
  if (!me.ok) { status.textContent = "Not signed in. Open the login URL printed by agentboard start."; return; }
  const who = await me.json();
  const doc = await (await fetch("/api/dashboards/me/state")).json();
  status.textContent = "Signed in as " + who.principal.name + " (" + who.workspace.name + "), dashboard rev " + doc.rev + ". The full dashboard UI arrives with @agentboard/web.";
  for (const widget of Object.values(doc.state.widgets)) {
    const box = document.createElement("div"); box.className = "w";
    box.dataset.widgetId = widget.id; box.dataset.widgetType = widget.type; box.dataset.widgetStatus = widget.status;
    const title = document.createElement("div"); title.className = "t"; title.textContent = widget.title;
    const meta = document.createElement("div"); meta.className = "m"; meta.textContent = widget.type + " · " + widget.status + " · by " + widget.updatedBy;
    const props = document.createElement("pre"); props.textContent = JSON.stringify(widget.props, null, 2);
    box.append(title, meta, props); list.append(box);
  }
})().catch((e) => { document.getElementById("status").textContent = "Error: " + e.message; });`;

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export function registerPlaceholderPage(app: FastifyInstance): void {
  app.get("/", { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type("text/html").send(PAGE),
  );
  app.get("/placeholder.js", { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type("text/javascript").send(SCRIPT),
  );
}
