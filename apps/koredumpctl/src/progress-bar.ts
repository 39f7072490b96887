import type { ProgressSink } from './api/download.js';
import { renderProgress } from './format/progress.js';
import type { OutputService } from './output.service.js';

/** A progress line on stderr, redrawn at most 10 times a second; only on a terminal. */
export class ProgressBar implements ProgressSink {
  private label = '';
  private total: number | undefined;
  private resumedFrom = 0;
  private startedAt = 0;
  private lastDraw = 0;
  private done = 0;
  private drawn = false;

  constructor(
    private readonly out: OutputService,
    private readonly now: () => number = Date.now,
  ) {}

  static for(out: OutputService): ProgressSink {
    return out.stderrIsTTY
      ? new ProgressBar(out)
      : { start: () => undefined, update: () => undefined, finish: () => undefined };
  }

  start(label: string, total: number | undefined, resumedFrom: number): void {
    this.label = label;
    this.total = total;
    this.resumedFrom = resumedFrom;
    this.done = resumedFrom;
    this.startedAt = this.now();
    this.lastDraw = 0;
    this.draw();
  }

  update(done: number): void {
    this.done = done;
    if (this.now() - this.lastDraw >= 100) this.draw();
  }

  finish(): void {
    if (this.startedAt === 0) return;
    this.draw();
    if (this.drawn) this.out.stderr('\n');
    this.drawn = false;
    this.startedAt = 0;
  }

  private draw(): void {
    this.lastDraw = this.now();
    const line = renderProgress(
      {
        label: this.label,
        done: this.done,
        total: this.total,
        transferred: this.done - this.resumedFrom,
        elapsedMs: this.lastDraw - this.startedAt,
      },
      this.out.stderrColumns - 1,
    );
    this.out.stderr(`\r${line}\x1b[K`);
    this.drawn = true;
  }
}
