import { spawn } from "node:child_process";
import { getEventListeners } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { formatWaitReadyFailure, type WaitReadyResult, waitReady } from "./wait-ready.js";

const servers: Server[] = [];

afterEach(async () => {
  // Hanging handlers never end their responses, so drop the sockets instead of waiting for them.
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function startServer(handler: RequestListener): Promise<{ url: string; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return { url: `http://127.0.0.1:${address.port}`, port: address.port };
}

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

function readyzHandler(statuses: number[]): RequestListener {
  let calls = 0;
  return (req, res) => {
    if (req.url !== "/readyz") {
      res.writeHead(404).end();
      return;
    }
    const status = statuses[Math.min(calls++, statuses.length - 1)] ?? 200;
    const ready = status === 200;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        status: ready ? "ok" : "unready",
        components: {
          sqlite: { status: "ok", latencyMs: 1 },
          redis: ready ? { status: "ok", latencyMs: 2 } : { status: "down", error: "connect ECONNREFUSED" },
        },
      }),
    );
  };
}

function failure(result: WaitReadyResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

const timeoutCount = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("waitReady", () => {
  it("retries through 503s and returns the 200 body", async () => {
    const { url } = await startServer(readyzHandler([503, 503, 200]));
    const seen: Array<number | undefined> = [];
    const result = await waitReady({
      url,
      timeoutMs: 10_000,
      intervalMs: 10,
      onAttempt: (a) => seen.push(a.status),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.attempts).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([503, 503, 200]);
    expect(result.body).toMatchObject({ status: "ok", components: { redis: { status: "ok" } } });
  });

  it("accepts a trailing slash or a full /readyz URL", async () => {
    const { url } = await startServer(readyzHandler([200]));
    for (const variant of [`${url}/`, `${url}/readyz`, `${url}/readyz/`]) {
      const result = await waitReady({ url: variant, timeoutMs: 5_000 });
      expect(result, variant).toMatchObject({ ok: true, attempts: 1 });
    }
  });

  it("reports the components of the last 503 when the server never becomes ready", async () => {
    const { url, port } = await startServer(readyzHandler([503]));
    const result = failure(await waitReady({ url, timeoutMs: 400, intervalMs: 10 }));
    expect(result).toMatchObject({ reason: "timeout", lastStatus: 503, port });
    const text = formatWaitReadyFailure(result);
    expect(text).toContain("HTTP 503");
    expect(text).toMatch(/redis:\s+down - connect ECONNREFUSED/);
    expect(text).toContain("not ready");
  });

  it("times out with ECONNREFUSED diagnostics when nothing listens", async () => {
    const port = await closedPort();
    const result = failure(await waitReady({ url: `http://127.0.0.1:${port}`, timeoutMs: 800 }));
    expect(result.reason).toBe("timeout");
    expect(result.lastError).toMatch(/ECONNREFUSED/);
    expect(result.attempts).toBeGreaterThanOrEqual(1);
    const text = formatWaitReadyFailure(result);
    expect(text).toMatch(new RegExp(`port:\\s+${port}\\n`));
    expect(text).toMatch(new RegExp(`attempts:\\s+${result.attempts}\\n`));
    expect(text).toMatch(new RegExp(`elapsed:\\s+${result.elapsedMs} ms\\n`));
    expect(text).toContain(`nothing is listening on port ${port}`);
  });

  it("stops with process_exited when the watched process dies", async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, ["-e", "setTimeout(()=>{}, 300)"], { stdio: "ignore" });
    try {
      const pid = child.pid;
      if (pid === undefined) throw new Error("child did not start");
      const result = failure(await waitReady({ url: `http://127.0.0.1:${port}`, timeoutMs: 20_000, pid }));
      expect(result.reason).toBe("process_exited");
      expect(result.pid).toBe(pid);
      const text = formatWaitReadyFailure(result);
      expect(text).toMatch(new RegExp(`pid:\\s+${pid} \\(exited\\)`));
      expect(text).toContain(`process ${pid} exited before the server became ready`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("fails at once for a pid that does not exist", async () => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid;
    if (pid === undefined) throw new Error("child did not start");
    const result = failure(await waitReady({ url: "http://127.0.0.1:1", timeoutMs: 20_000, pid }));
    expect(result).toMatchObject({ reason: "process_exited", attempts: 0 });
  });

  it("retries past a server that accepts but never answers, then times out", async () => {
    const { url, port } = await startServer(() => {
      // Never respond: only the per-request timeout can end each attempt.
    });
    const errors: string[] = [];
    const result = failure(
      await waitReady({
        url,
        timeoutMs: 3_000,
        requestTimeoutMs: 200,
        intervalMs: 10,
        onAttempt: (a) => {
          if (a.error) errors.push(a.error);
        },
      }),
    );
    expect(result.reason).toBe("timeout");
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toBe("no response within 200 ms");
    expect(result.lastError).toMatch(/no response/);
    expect(formatWaitReadyFailure(result)).toContain(
      `port ${port} accepts connections but /readyz does not answer`,
    );
  });

  it("reports a request still pending at the deadline when it is the only evidence", async () => {
    const { url } = await startServer(() => {});
    const result = failure(await waitReady({ url, timeoutMs: 300, requestTimeoutMs: 60_000 }));
    expect(result).toMatchObject({ reason: "timeout", attempts: 1 });
    expect(result.lastError).toMatch(/no response before the deadline/);
  });

  it("stops with aborted when the caller aborts during the wait between attempts", async () => {
    const { url } = await startServer(readyzHandler([503]));
    const controller = new AbortController();
    // A one-minute retry delay: the test only finishes in time if the sleep itself is abortable.
    const result = failure(
      await waitReady({
        url,
        timeoutMs: 120_000,
        intervalMs: 60_000,
        signal: controller.signal,
        onAttempt: () => setTimeout(() => controller.abort(), 20),
      }),
    );
    expect(result).toMatchObject({ reason: "aborted", attempts: 1, lastStatus: 503 });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("stops with aborted when the caller aborts during a pending request", async () => {
    const controller = new AbortController();
    // Abort once the request has reached the server, which then never answers.
    const { url } = await startServer(() => controller.abort());
    const result = failure(
      await waitReady({ url, timeoutMs: 120_000, requestTimeoutMs: 60_000, signal: controller.signal }),
    );
    expect(result).toMatchObject({ reason: "aborted", attempts: 1 });
  });

  it("returns aborted without any attempt when the signal is already aborted", async () => {
    const result = failure(
      await waitReady({ url: "http://127.0.0.1:1", timeoutMs: 5_000, signal: AbortSignal.abort() }),
    );
    expect(result).toMatchObject({ reason: "aborted", attempts: 0 });
  });

  it("rejects non-http URLs at once", async () => {
    for (const url of ["ftp://127.0.0.1:7800", "127.0.0.1:7800", "not a url"]) {
      const result = failure(await waitReady({ url, timeoutMs: 5_000 }));
      expect(result, url).toMatchObject({ reason: "invalid_url", attempts: 0, url });
      expect(formatWaitReadyFailure(result)).toContain("http:// or https://");
    }
  });

  it("leaves no timers or abort listeners behind on any path", async () => {
    const { url } = await startServer(readyzHandler([503, 200]));
    const { url: hangUrl } = await startServer(() => {});
    const port = await closedPort();
    const before = timeoutCount();
    const signal = new AbortController().signal;

    const ok = await waitReady({ url, timeoutMs: 5_000, intervalMs: 10, signal });
    const refused = await waitReady({ url: `http://127.0.0.1:${port}`, timeoutMs: 300, signal });
    const hung = await waitReady({ url: hangUrl, timeoutMs: 300, requestTimeoutMs: 100, signal });
    const aborter = new AbortController();
    const aborted = waitReady({ url: hangUrl, timeoutMs: 60_000, signal: aborter.signal });
    setTimeout(() => aborter.abort(), 50);
    const child = spawn(process.execPath, ["-e", "setTimeout(()=>{}, 100)"], { stdio: "ignore" });
    const exited = await waitReady({
      url: `http://127.0.0.1:${port}`,
      timeoutMs: 20_000,
      pid: child.pid ?? -1,
      signal,
    });

    expect([ok.ok, failure(refused).reason, failure(hung).reason, failure(exited).reason]).toEqual([
      true,
      "timeout",
      "timeout",
      "process_exited",
    ]);
    expect(failure(await aborted).reason).toBe("aborted");
    expect(timeoutCount()).toBeLessThanOrEqual(before);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(getEventListeners(aborter.signal, "abort")).toHaveLength(0);
  });
});
