/**
 * A token bucket for outgoing patches: `burst` may go at once, then `perSecond`. The server refuses frames
 * over its per-connection rate without saying which one it dropped, so the SDK stays under it instead.
 */
export class SendPacer {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = this.now();
  }

  /** Takes a token and returns 0, or returns how many ms until one is available (taking nothing). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Gives back a token that was taken but not used. */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}
