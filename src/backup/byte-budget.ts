// A budget of bytes shared by streams that run at the same time (the objects of one S3 part):
// each takes what its buffers will hold before it starts and gives it back when it is done, so
// the memory of all of them stays under the budget however many run at once. Waiters are served
// first come, first served (a large request is not starved by small ones); a request larger than
// the whole budget is granted the whole budget, and so runs alone.
export class ByteBudget {
  private used = 0;
  private readonly queue: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly total: number) {
    if (!(total > 0)) throw new RangeError(`a byte budget must be positive, got ${total}`);
  }

  /** Waits until `bytes` fit, takes them, and returns the function that gives them back (once). */
  async take(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(0, bytes), this.total);
    if (this.queue.length === 0 && this.used + n <= this.total) this.used += n;
    else await new Promise<void>((grant) => this.queue.push({ bytes: n, grant }));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.used -= n;
      this.serve();
    };
  }

  /** Bytes taken now. */
  get inUse(): number {
    return this.used;
  }

  private serve(): void {
    for (let next = this.queue[0]; next && this.used + next.bytes <= this.total; next = this.queue[0]) {
      this.queue.shift();
      this.used += next.bytes;
      next.grant();
    }
  }
}
