/**
 * A one-line progress bar for `kv import`, redrawn in place with '\r'. It is
 * drawn only on a terminal: when stderr is a file or a pipe nothing is
 * written, so logs and tests see no control characters.
 */
const BAR_WIDTH = 30;
/** Redraw at most this often. */
const REDRAW_INTERVAL_MS = 100;

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

export class ProgressBar {
  private readonly startMs = Date.now();
  private drawnMs = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    /** Bytes of the whole input, or undefined when unknown (a pipe). */
    private readonly byteCountTotal: number | undefined,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(byteCount: number, putCount: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.drawnMs < REDRAW_INTERVAL_MS) return;
    this.drawnMs = now;
    this.draw(byteCount, putCount, now);
  }

  /** Draws the final state and ends the line. */
  finish(byteCount: number, putCount: number): void {
    if (!this.enabled || !this.drawn) return;
    this.draw(byteCount, putCount, Date.now());
    this.stream.write('\n');
  }

  private draw(byteCount: number, putCount: number, now: number): void {
    const seconds = Math.max((now - this.startMs) / 1000, 0.001);
    const rate = `${formatBytes(byteCount / seconds)}/s`;
    let line: string;
    const total = this.byteCountTotal;
    if (total !== undefined && total > 0) {
      const fraction = Math.min(byteCount / total, 1);
      const filled = Math.round(fraction * BAR_WIDTH);
      line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${putCount} keys  ${rate}`;
    } else {
      line = `${formatBytes(byteCount)}  ${putCount} keys  ${rate}`;
    }
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }
}

export function formatBytes(byteCount: number): string {
  if (byteCount < 1024) return `${Math.round(byteCount)} B`;
  if (byteCount < 1024 * 1024) return `${(byteCount / 1024).toFixed(1)} KiB`;
  return `${(byteCount / 1024 / 1024).toFixed(1)} MiB`;
}
