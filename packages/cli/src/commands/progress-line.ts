import type { OutputStream } from './cli-io.js';

/** Redraws at most this often: a progress line is for eyes, not for every event. */
const INTERVAL_MS = 100;

/**
 * A one-line progress indicator on a terminal's stderr, redrawn in place.
 * Does nothing when stderr is not a terminal, so logs and pipes stay clean.
 */
export class ProgressLine {
  private last = 0;
  private drawn = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** Shows `text`, unless the line was redrawn less than 100 ms ago (`force` redraws anyway). */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (!force && now - this.last < INTERVAL_MS) return;
    this.last = now;
    // CR back to the line start, then erase to its end (EL) before the new text.
    this.stream.write(`\r\u001b[K${text}`);
    this.drawn = true;
  }

  /** Erases the line, so what follows starts on a clean line. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\u001b[K');
    this.drawn = false;
  }
}
