import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The suite's scenarios read and subscribe to its reference server's fixture URIs; agentboard serves its
 * dashboards instead, so the proxy points those at the caller's own dashboard (`me`). Nothing else in a body
 * is touched.
 */
const FIXTURE_URIS: Record<string, string> = {
  "test://static-text": "agentboard://dashboards/me",
  "test://watched-resource": "agentboard://dashboards/me",
};

/**
 * A small reverse proxy for running the official conformance suite against `/mcp`: the suite has no way to
 * send a bearer token, so the proxy adds one. Like any reverse proxy it presents the upstream's own name:
 * a Host (and Origin) naming the proxy becomes the upstream's, while any other Host or Origin — the suite's
 * DNS-rebinding probe sends `evil.example.com` — is passed on unchanged for agentboard to judge. Given several
 * upstreams (cluster nodes) it sends each request to the next one in turn, as a balancer without affinity.
 */
export async function startConformanceProxy(
  upstreams: string | readonly string[],
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const targets = (typeof upstreams === "string" ? [upstreams] : upstreams).map(
    (upstream) => new URL(upstream),
  );
  let turn = 0;
  let self = "";
  const server: Server = createServer((req, res) => {
    const target = targets[turn++ % targets.length]!;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body = Buffer.concat(chunks).toString("utf8");
      for (const [from, to] of Object.entries(FIXTURE_URIS)) body = body.split(from).join(to);
      const headers = { ...req.headers };
      if (headers.host === self) headers.host = target.host;
      if (headers.origin === `http://${self}`) headers.origin = target.origin;
      headers.authorization = `Bearer ${token}`;
      if (body.length > 0) headers["content-length"] = String(Buffer.byteLength(body));
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      res.on("close", () => forward.destroy());
      forward.end(body.length > 0 ? body : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${self}/mcp`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
