import type { Writable } from 'node:stream';

const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

/** A one-line progress display on stderr; a no-op when disabled. `update` is cheap to call often. */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;
  private note = '';

  constructor(
    private readonly stream: Writable,
    private readonly label: string,
    private total: number | undefined,
    private readonly enabled: boolean,
    private readonly delayMs: number,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  /** Adds `amount` units of work done; `note` names the current item (a file name). */
  tick(amount = 1, note?: string): void {
    this.update(this.done + amount, note);
  }

  update(done: number, note?: string): void {
    this.done = done;
    if (note !== undefined) this.note = note;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < this.delayMs || now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.draw(now);
  }

  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }

  private draw(now: number): void {
    const elapsed = (now - this.started) / 1000;
    let line: string;
    if (this.total && this.total > 0) {
      const ratio = Math.min(1, this.done / this.total);
      const filled = Math.round(ratio * BAR_WIDTH);
      line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${(ratio * 100).toFixed(0)}% ${formatCount(this.done)}/${formatCount(this.total)}`;
    } else {
      line = `${this.label} ${formatCount(this.done)}`;
    }
    line += ` ${elapsed.toFixed(1)}s`;
    if (this.note) line += ` ${this.note.length > 40 ? `…${this.note.slice(-39)}` : this.note}`;
    this.stream.write(`\r\u001b[2K${line}`);
    this.drawn = true;
  }
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}
