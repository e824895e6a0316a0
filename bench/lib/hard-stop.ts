/**
 * Runs a bench's main with a deadline: a hung upstream or agent must end the bench with an error, not keep the
 * machine busy. The timer is unref'd so a bench that finishes early exits at once.
 */
export async function runWithHardStop(main: () => Promise<void>, ms = 5 * 60_000): Promise<void> {
  const hardStop = setTimeout(() => {
    console.error("bench took too long; giving up");
    process.exit(1);
  }, ms);
  hardStop.unref();
  await main();
}
