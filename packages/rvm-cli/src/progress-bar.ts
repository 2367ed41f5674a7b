/**
 * A percentage bar on stderr for long runs (recover, truncate, verify). It is
 * drawn only when stderr is a terminal, only once a run has lasted
 * SHOW_AFTER_MS (a short run prints nothing), and redrawn at most every
 * REDRAW_INTERVAL_MS. Updates come from synchronous work (the event loop is
 * blocked while the log is scanned), so drawing is a synchronous write.
 */
const SHOW_AFTER_MS = 250;
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressBar {
  private readonly startedMs: number;
  private drawnMs = -Infinity;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly output: ProgressOutput = process.stderr,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.startedMs = nowMs();
  }

  /** Reports `done` of `total` (bytes); draws if it is time to. */
  update(done: number, total: number): void {
    if (this.output.isTTY !== true) return;
    const now = this.nowMs();
    if (now - this.startedMs < SHOW_AFTER_MS || now - this.drawnMs < REDRAW_INTERVAL_MS) return;
    this.drawnMs = now;
    this.drawn = true;
    this.output.write(`\r${renderBar(this.label, done, total)}`);
  }

  /** Erases the bar, if it was drawn, so that what follows starts on a clean line. */
  finish(): void {
    if (!this.drawn) return;
    this.output.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `label [#########.........]  45%`. */
export function renderBar(label: string, done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}`;
}
