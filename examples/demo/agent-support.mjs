// @ts-check
// What every demo agent needs: its settings from the environment (set by `agentboard start --demo`, or by
// you when running one by hand), a log line format, a "ready" signal for the parent, and a clean exit.

/**
 * @param {string} name
 * @returns {string}
 */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set (see examples/README.md)`);
    process.exit(2);
  }
  return value;
}

/**
 * @param {string} name
 * @param {number} fallback
 */
export function numberEnv(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** @param {string} text */
export function log(text) {
  process.stdout.write(`${text}\n`);
}

/** Tells the parent (`agentboard start --demo`) that this agent has published what it starts with. */
export function signalReady() {
  process.send?.({ type: "ready" });
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `cleanup` and exits on SIGTERM/SIGINT, and when the parent goes away (its IPC channel closes), so no
 * demo agent outlives the server that started it.
 * @param {() => Promise<void>} cleanup
 */
export function exitWith(cleanup) {
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try {
      await cleanup();
    } finally {
      process.exit(0);
    }
  };
  process.once("SIGTERM", exit);
  process.once("SIGINT", exit);
  process.once("disconnect", exit);
}

/**
 * The error's message, for a log line.
 * @param {unknown} error
 */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
