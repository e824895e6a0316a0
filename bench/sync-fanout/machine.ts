/**
 * Is the machine quiet enough to trust a run? The sync fan-out benchmark needs most of a 2-core machine, so
 * any other process (a test suite, a browser) shifts its latencies by 10–100×. Per run we measure how much
 * CPU the rest of the machine used (all CPU time from /proc/stat minus our three processes' own and the
 * kernel threads'), the VM's steal time, and how late the writer's event loop ran (it idles between sends,
 * so a late loop means the writer was not scheduled). Linux only; elsewhere the CPU figures are NaN.
 */
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Linux reports /proc/stat in USER_HZ, which is 100 on every mainstream kernel. */
const TICK_MS = 10;

interface CpuTicks {
  busyMs: number;
  stealMs: number;
}

function readCpuTicks(): CpuTicks | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user already)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return { busyMs: (user + nice + system + irq + softirq) * TICK_MS, stealMs: steal * TICK_MS };
  } catch {
    return undefined;
  }
}

/** CPU time of kernel threads (children of kthreadd, e.g. ksoftirqd doing loopback networking for us). */
function kernelThreadsMs(): number {
  let ticks = 0;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // pid (comm) state ppid … utime stime: fields after the last ")" start at "state".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (entry === "2" || fields[1] === "2") ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return Number.NaN;
  }
  return ticks * TICK_MS;
}

export interface MachineNoise {
  /**
   * Cores' worth of CPU used by processes other than the server, the subscribers and the writer (kernel
   * threads excluded: their softirq work is mostly our own loopback traffic).
   */
  foreignCores: number;
  stealCores: number;
  writerLoopDelayMaxMs: number;
}

/**
 * Starts a window over which the rest of the machine's load is measured. `stop` closes it at once; `noise`
 * then takes the CPU (µs) our server and subscriber processes used in it (the writer's is measured here).
 */
export function watchMachine(): { stop(): { noise(ourCpuUs: number): MachineNoise } } {
  const startTicks = readCpuTicks();
  const startKernelMs = kernelThreadsMs();
  const startMs = performance.now();
  const writerStart = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  return {
    stop() {
      loop.disable();
      const elapsedMs = performance.now() - startMs;
      const endTicks = readCpuTicks();
      const kernelMs = kernelThreadsMs() - startKernelMs;
      const writer = process.cpuUsage(writerStart);
      const writerLoopDelayMaxMs = loop.max / 1e6;
      return {
        noise(ourCpuUs) {
          if (!startTicks || !endTicks || elapsedMs <= 0) {
            return { foreignCores: Number.NaN, stealCores: Number.NaN, writerLoopDelayMaxMs };
          }
          const oursMs = (ourCpuUs + writer.user + writer.system) / 1000 + (kernelMs || 0);
          return {
            foreignCores: Math.max(0, endTicks.busyMs - startTicks.busyMs - oursMs) / elapsedMs,
            stealCores: (endTicks.stealMs - startTicks.stealMs) / elapsedMs,
            writerLoopDelayMaxMs,
          };
        },
      };
    },
  };
}
