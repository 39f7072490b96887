import { encodeSseComment, encodeSseEvent, encodeSseFields, type SseEvent } from '@koredump/sse';
import type { ServerResponse } from 'node:http';

export interface SseStreamOptions {
  /** A `: heartbeat` comment this often keeps proxies from closing the connection. */
  heartbeatMs: number;
  /**
   * Frames waiting for a client that reads slower than they come. Beyond this the client is
   * dropped (memory stays bounded): an `event: error` and the connection closes.
   */
  maxQueuedFrames: number;
  /** Reconnection delay suggested to clients (`retry:`). */
  retryMs: number;
  /** Sent at once (`id:` without data): where a client reconnecting right away resumes. */
  firstId?: string;
}

/** How long a dropped client gets to read the error frame before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

/**
 * One Server-Sent Events response on a raw node:http response: the headers (no caching, no proxy
 * buffering, no socket timeout), heartbeats, and a bounded queue in front of the socket — a frame
 * is written only while the socket takes more without buffering (`writableNeedDrain`), so a slow
 * client costs at most `maxQueuedFrames` frames plus one socket buffer.
 */
export class SseStream {
  private readonly queue: string[] = [];
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeHandlers: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private ended = false;
  private gone = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseStreamOptions,
  ) {
    // A watch lasts as long as the client wants: no socket timeout (the heartbeats keep it busy).
    res.setTimeout(0);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx (and ingress-nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write(encodeSseFields({ retry: options.retryMs, id: options.firstId }));
    this.heartbeat = setInterval(() => {
      // Only when nothing waits: a backed-up client gets no more bytes, a heartbeat is moot.
      if (this.queue.length === 0 && !res.writableNeedDrain) {
        res.write(encodeSseComment('heartbeat'));
      }
    }, options.heartbeatMs);
    this.heartbeat.unref();
    res.on('drain', () => this.flush());
    res.on('close', () => this.finish());
  }

  /** Whether the stream no longer takes events (client gone, dropped or closed). */
  get closed(): boolean {
    return this.ended || this.gone;
  }

  /** Frames queued for the client right now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs `fn` once when the connection is over (for whatever reason). */
  onClose(fn: () => void): void {
    if (this.gone) fn();
    else this.closeHandlers.push(fn);
  }

  /**
   * Resolves once every queued frame is handed to the socket (or the stream is closed): producers
   * with many events (a snapshot) wait for it rather than fill the queue.
   */
  drained(): Promise<void> {
    if (this.queue.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Queues one event; drops the client when it is too far behind. */
  send(event: SseEvent): void {
    if (this.closed) return;
    this.queue.push(encodeSseEvent(event));
    if (this.queue.length > this.options.maxQueuedFrames) {
      this.close(
        `the client reads too slowly (more than ${this.options.maxQueuedFrames} events behind); reconnect with Last-Event-ID to resume`,
      );
      return;
    }
    this.flush();
  }

  /**
   * Ends the stream; with a message, an `event: error` frame with `{"message": …}` tells the
   * client why. Queued frames are dropped when there is an error (the client could not keep up or
   * may no longer see them).
   */
  close(error?: string): void {
    if (this.closed) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.wakeDrainWaiters();
    if (error !== undefined) {
      this.queue.length = 0;
      this.res.end(encodeSseEvent({ event: 'error', data: JSON.stringify({ message: error }) }));
      // A client that does not read would keep the socket (and its buffer) forever.
      setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS).unref();
    } else {
      this.res.end(this.queue.splice(0).join(''));
    }
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.res.writableNeedDrain && !this.closed) {
      this.res.write(this.queue.shift()!);
    }
    if (this.queue.length === 0 || this.closed) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const fn of waiters) fn();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    clearInterval(this.heartbeat);
    this.queue.length = 0;
    this.wakeDrainWaiters();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
