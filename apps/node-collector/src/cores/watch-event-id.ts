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
