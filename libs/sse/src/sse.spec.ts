import { describe, expect, it } from '@jest/globals';

import {
  encodeSseComment,
  encodeSseEvent,
  encodeSseFields,
  SseParser,
  type ParsedSseEvent,
} from './sse.js';

function parseAll(chunks: string[]): {
  events: ParsedSseEvent[];
  comments: string[];
  retries: number[];
  parser: SseParser;
} {
  const events: ParsedSseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    event: (e) => events.push(e),
    comment: (c) => comments.push(c),
    retry: (ms) => retries.push(ms),
  });
  for (const c of chunks) parser.push(c);
  return { events, comments, retries, parser };
}

describe('encodeSseEvent', () => {
  it('writes event, id and one data line per line, ending in a blank line', () => {
    expect(encodeSseEvent({ event: 'added', id: '17', data: '{"a":1}' })).toBe(
      'event: added\nid: 17\ndata: {"a":1}\n\n',
    );
    expect(encodeSseEvent({ data: 'one\ntwo\r\nthree' })).toBe(
      'data: one\ndata: two\ndata: three\n\n',
    );
    expect(encodeSseEvent({ data: '', retry: 2000 })).toBe('retry: 2000\ndata: \n\n');
  });

  it('refuses line breaks in event and id, NUL in id and a bad retry', () => {
    expect(() => encodeSseEvent({ event: 'a\nb', data: '' })).toThrow(/line break/);
    expect(() => encodeSseEvent({ id: 'a\rb', data: '' })).toThrow(/line break/);
    expect(() => encodeSseEvent({ id: 'a\0b', data: '' })).toThrow(/NUL/);
    expect(() => encodeSseEvent({ retry: -1, data: '' })).toThrow(/whole number/);
  });

  it('writes comments and data-less fields', () => {
    expect(encodeSseComment('heartbeat')).toBe(': heartbeat\n\n');
    expect(encodeSseComment('a\nb')).toBe(': a\n: b\n\n');
    expect(encodeSseFields({ retry: 1500, id: '42' })).toBe('retry: 1500\nid: 42\n\n');
  });
});

describe('SseParser', () => {
  it('round-trips what the encoder writes, multi-line data included', () => {
    const frames = [
      encodeSseFields({ retry: 3000, id: '5' }),
      encodeSseEvent({ event: 'added', id: '7', data: '{\n  "x": 1\n}' }),
      encodeSseComment('heartbeat'),
      encodeSseEvent({ event: 'removed', data: 'gone' }),
    ].join('');
    const { events, comments, retries, parser } = parseAll([frames]);
    expect(retries).toEqual([3000]);
    expect(comments).toEqual(['heartbeat']);
    expect(events).toEqual([
      { event: 'added', data: '{\n  "x": 1\n}', lastEventId: '7' },
      // The id persists to later events without one.
      { event: 'removed', data: 'gone', lastEventId: '7' },
    ]);
    expect(parser.lastId).toBe('7');
  });

  it('gives the same events whatever the chunking, with CRLF, CR or LF line ends', () => {
    const text = '\ufeffevent: a\r\ndata: 1\r\n\r\nid: 9\rdata: 2\r\rdata:3\n\n';
    const whole = parseAll([text]).events;
    expect(whole).toEqual([
      { event: 'a', data: '1', lastEventId: '' },
      { event: 'message', data: '2', lastEventId: '9' },
      { event: 'message', data: '3', lastEventId: '9' },
    ]);
    // Every split point, a CRLF split between two chunks included.
    for (let i = 1; i < text.length; i++) {
      expect(parseAll([text.slice(0, i), text.slice(i)]).events).toEqual(whole);
    }
    expect(parseAll(text.split('')).events).toEqual(whole);
  });

  it('follows the spec on odd lines', () => {
    const { events } = parseAll([
      // A field without a colon has an empty value; unknown fields are ignored; only one space
      // after the colon is dropped; an id with NUL is ignored; a non-numeric retry is ignored.
      'data\nfoo: bar\ndata:  two spaces\nid: a\0b\nretry: 1x\n\n',
      // Blank line without data dispatches nothing (and resets the event type).
      'event: lost\n\n',
      'data: x\n\n',
      // An id with an empty value resets the last id.
      'id\ndata: y\n\n',
      // Incomplete event at the end is not dispatched.
      'data: never',
    ]);
    expect(events).toEqual([
      { event: 'message', data: '\n two spaces', lastEventId: '' },
      { event: 'message', data: 'x', lastEventId: '' },
      { event: 'message', data: 'y', lastEventId: '' },
    ]);
  });

  it('bounds the line it buffers', () => {
    const parser = new SseParser({ event: () => undefined }, 16);
    expect(() => parser.push('data: 0123456789abcdef')).toThrow(/longer than 16/);
  });
});
