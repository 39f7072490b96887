/**
 * Server-Sent Events wire format (WHATWG HTML §9.2 "Server-sent events"), with no dependencies so
 * the servers and the CLI bundle share it: an encoder for the frames the servers send and an
 * incremental parser for the clients (the aggregator's upstreams, `koredumpctl list --follow`).
 */

/** One event as sent: `event`, `id` and `retry` are optional; `data` may span lines. */
export interface SseEvent {
  event?: string;
  id?: string;
  data: string;
  /** Reconnection time the client should use, in ms. */
  retry?: number;
}

/** One event as dispatched by the parser (the spec's MessageEvent). */
export interface ParsedSseEvent {
  /** The `event:` field, or "message". */
  event: string;
  data: string;
  /** The last event id seen on the stream so far (it persists across events). */
  lastEventId: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

function checkField(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must not contain a line break`);
}

/**
 * The frame of one event: one `data:` line per line of `data` (so multi-line JSON survives), a
 * blank line at the end. `event` and `id` may not contain line breaks; `id` no NUL (clients would
 * ignore it).
 */
export function encodeSseEvent(ev: SseEvent): string {
  let out = '';
  if (ev.retry !== undefined) {
    if (!Number.isInteger(ev.retry) || ev.retry < 0) {
      throw new Error('SSE retry must be a whole number');
    }
    out += `retry: ${ev.retry}\n`;
  }
  if (ev.event !== undefined) {
    checkField('event', ev.event);
    out += `event: ${ev.event}\n`;
  }
  if (ev.id !== undefined) {
    checkField('id', ev.id);
    if (ev.id.includes('\0')) throw new Error('SSE id must not contain NUL');
    out += `id: ${ev.id}\n`;
  }
  for (const line of ev.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Fields without data (e.g. `retry` and `id` at the start of a stream): sets, dispatches nothing. */
export function encodeSseFields(fields: { id?: string; retry?: number }): string {
  let out = '';
  if (fields.retry !== undefined) out += `retry: ${Math.max(0, Math.trunc(fields.retry))}\n`;
  if (fields.id !== undefined) {
    checkField('id', fields.id);
    out += `id: ${fields.id}\n`;
  }
  return `${out}\n`;
}

/** A comment line (ignored by clients): heartbeats. Each line of `text` becomes one comment. */
export function encodeSseComment(text: string): string {
  return `${text
    .split(LINE_BREAK)
    .map((l) => `: ${l}\n`)
    .join('')}\n`;
}

export interface SseParserHandlers {
  event(ev: ParsedSseEvent): void;
  /** A comment line's text (without the colon and one leading space). */
  comment?(text: string): void;
  /** A valid `retry:` field (ms). */
  retry?(ms: number): void;
}

/**
 * The spec's parsing algorithm, incremental: feed decoded text with `push` in chunks of any size
 * (a line or a CRLF may be split between chunks). A BOM at the start is skipped; lines end in CRLF,
 * LF or CR; `field: value` drops one space after the colon; a line without a colon is a field
 * with an empty value; unknown fields are ignored; `id` with NUL is ignored; `retry` counts only
 * when all digits; a blank line dispatches the event unless its data is empty, with the last
 * newline of the data removed. The longest line buffered is bounded (`maxLineLength`).
 */
export class SseParser {
  private buffer = '';
  private started = false;
  /** The previous chunk ended in CR: a LF at the start of the next one is part of that break. */
  private pendingCr = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastEventId = '';

  constructor(
    private readonly handlers: SseParserHandlers,
    private readonly maxLineLength = 1 << 20,
  ) {}

  /** The last event id seen (what a reconnecting client sends as Last-Event-ID). */
  get lastId(): string {
    return this.lastEventId;
  }

  push(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.line(this.buffer + text.slice(start, i));
      this.buffer = '';
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
    }
    this.buffer += text.slice(start);
    if (this.buffer.length > this.maxLineLength) {
      throw new Error(`SSE line longer than ${this.maxLineLength} characters`);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.handlers.comment?.(line.slice(line.startsWith(': ') ? 2 : 1));
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += `${value}\n`;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const type = this.eventType;
    this.eventType = '';
    if (!this.hasData) {
      this.data = '';
      return;
    }
    const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
    this.data = '';
    this.hasData = false;
    this.handlers.event({ event: type || 'message', data, lastEventId: this.lastEventId });
  }
}
