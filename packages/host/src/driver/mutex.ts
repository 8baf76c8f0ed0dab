/**
 * An async mutex: sections passed to `runExclusive` run one at a time, in call order. The driver
 * uses it where two concurrent callers would otherwise interleave device-visible steps (SQ writes
 * and their doorbell, CQ pumping, the shared data buffer).
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  runExclusive<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    // A failed section must not poison the sections queued after it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
