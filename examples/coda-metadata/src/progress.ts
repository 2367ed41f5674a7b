/**
 * A progress bar on a terminal: one line redrawn in place with '\r', at most
 * every REDRAW_INTERVAL_MS, erased when done. Drawn only when the stream is
 * a TTY; in a pipe or a file it would only add noise, so the caller prints a
 * summary line instead.
 */
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressBar {
  private drawnAt = 0;
  private drawn = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly label: string,
  ) {}

  /** Redraws when enough time passed; `detail` follows the counts. */
  update(done: number, detail: string): void {
    if (this.stream.isTTY !== true) return;
    const now = Date.now();
    if (done < this.total && now - this.drawnAt < REDRAW_INTERVAL_MS) return;
    this.drawnAt = now;
    const fraction = this.total === 0 ? 1 : done / this.total;
    const filled = Math.round(fraction * BAR_WIDTH);
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
    this.stream.write(`\r${this.label} [${bar}] ${done}/${this.total} ${rate}/s ${detail}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
