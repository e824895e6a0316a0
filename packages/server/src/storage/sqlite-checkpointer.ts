import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * The worker's code, plain CommonJS (it is evaluated, so it runs the same from the TypeScript sources under
 * tsx/vitest and from dist). It opens its own connection to the database file and runs a PASSIVE checkpoint
 * every interval: PASSIVE never waits for or blocks the server's connection, which keeps writing to the WAL
 * meanwhile. Errors are reported to the parent, which then hands checkpoints back to SQLite's automatic ones.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const describe = (error) => (error && (error.message || error.code)) || String(error);
function run() {
  let db;
  let checkpoint;
  try {
    const Database = require(workerData.driver);
    db = new Database(workerData.file, { fileMustExist: true });
    db.pragma("busy_timeout = 1000");
    checkpoint = db.prepare("pragma wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ type: "failed", message: describe(error) });
    parentPort.close();
    return;
  }
  const timer = setInterval(() => {
    try {
      checkpoint.run();
    } catch (error) {
      clearInterval(timer);
      parentPort.postMessage({ type: "failed", message: describe(error) });
    }
  }, workerData.intervalMs);
  parentPort.on("message", (message) => {
    if (message !== "stop") return;
    clearInterval(timer);
    db.close();
    parentPort.close();
  });
}
run();
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection; resolves once the thread has exited. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop. A checkpoint copies the WAL into the database file and fsyncs
 * both; run automatically (every 1000 pages) it happens inside whichever commit crosses the threshold and
 * blocks the event loop for milliseconds — the slowest percent of writes. The caller turns the automatic
 * checkpoints off (`wal_autocheckpoint = 0`) and this thread checkpoints every `intervalMs` instead. With
 * AGENTBOARD_DASHBOARD_SYNC=normal, a checkpoint is also the moment dashboard commits reach the disk, so
 * the interval bounds what an OS crash or power loss could take.
 */
export function startCheckpointer(options: {
  file: string;
  intervalMs: number;
  /** The thread failed: the caller turns automatic checkpoints back on so the WAL cannot grow unbounded. */
  onFailure(error: Error): void;
}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file: options.file, intervalMs: options.intervalMs },
  });
  // The server's process must be able to exit without stopping this thread first (e.g. a CLI command).
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const fail = (error: Error) => {
    if (!stopped) options.onFailure(error);
  };
  worker.on("message", (message: { type?: string; message?: string }) => {
    if (message?.type === "failed") fail(new Error(`WAL checkpoint failed: ${message.message}`));
  });
  // Errors thrown in the thread arrive as plain objects when their class does not survive the copy.
  worker.on("error", (error: unknown) =>
    fail(error instanceof Error ? error : new Error(`checkpoint thread: ${JSON.stringify(error)}`)),
  );
  worker.once("exit", (code) => {
    if (code !== 0) fail(new Error(`the checkpoint thread exited with code ${code}`));
  });
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        // Waiting for the exit must keep the process alive (unref'd, the loop could run dry meanwhile).
        worker.ref();
        worker.postMessage("stop");
      }
      return exited;
    },
  };
}
