// The contract of both apps' GET /apiv1/cores/watch: its OpenAPI text, event ids, limits.
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ApiErrorDto } from '@koredump/http';

/** The OpenAPI description of the route (one text, one contract). */
export const WATCH_STREAM_DOC = [
  '`text/event-stream`. Events: `added` (a new core, once its journal entry or xattrs are read), `updated` (a core whose record changed: late journal entry, re-attribution; treat as upsert) and `removed` (its file is gone). Each `data:` is one JSON list record, exactly as in the list (redacted unless the caller may see sensitive fields).',
  "Filters: the list's (namespace, pod, container, comm, signal, since, until; no limit), and only cores in namespaces the caller may list; the rights are asked again when the auth cache expires.",
  '`initial=true` first sends every current matching core as `added`, oldest first. Every event has an `id:` (the crash time in ms of the newest core announced so far); reconnecting with `Last-Event-ID` first re-sends the current matching cores that crashed at or after it (at least once: de-duplicate by node and id). Cores removed while disconnected are not replayed.',
  'A `: heartbeat` comment comes every KOREDUMP_WATCH_HEARTBEAT_S seconds (default 15). A client that falls 1000 events behind gets `event: error` and is disconnected. More than KOREDUMP_WATCH_MAX_CLIENTS streams (default 1000) are refused with 503.',
].join('\n\n');

/**
 * The OpenAPI of the route's request header and answers, the same on both apps (the route's
 * ApiOperation carries WATCH_STREAM_DOC and what differs).
 */
export function ApiWatchStream(): MethodDecorator & ClassDecorator {
  // Listed in the order they would stand above the method (applyDecorators applies them in
  // order, stacked decorators bottom-up).
  const stacked = [
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'Resume: the id of the last event received; every current matching core that crashed at or after it is sent first, as `added`',
    }),
    ApiResponse({
      status: 200,
      description: 'The event stream (never ends on its own)',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
    ApiServiceUnavailableResponse({
      type: ApiErrorDto,
      description:
        'Too many watch streams open (KOREDUMP_WATCH_MAX_CLIENTS; Retry-After), the index or the collector discovery not ready yet, or a token check impossible',
    }),
  ];
  return applyDecorators(...stacked.reverse());
}

/**
 * Event ids of the watch streams: the crash time (ms since the epoch) of the newest core announced
 * on the stream so far, or the time the stream started when none was. A client reconnecting with
 * `Last-Event-ID: T` first gets, as `added`, every current matching core that crashed at or after
 * T (at least once: the core with the id's own timestamp comes again; clients de-duplicate by
 * node and id), then the live events.
 */
export function parseWatchEventId(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The reconnection delay suggested to clients (SSE `retry:`). */
export const WATCH_RETRY_MS = 2000;

/**
 * Events a client may be behind before it is dropped: one per core, so this is a burst of 1000
 * crashes the client could not take in (memory: at most this many records per connection).
 */
export const WATCH_MAX_QUEUED_EVENTS = 1000;
