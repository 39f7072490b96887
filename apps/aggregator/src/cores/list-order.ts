/**
 * Pure: the cluster-wide list order and the paging cursor.
 *
 * Order: oldest first by `timestamp` (epoch ms), then `id`, then `node`: within one node exactly
 * the collector's own order (timestamp, then id), and a total order across nodes (the same file
 * name on two nodes is still two distinct positions).
 *
 * Cursor: the position of the last item of a page, `(timestamp, id, node)`, as base64url JSON.
 * The next page is every item strictly after it, so pages never overlap or skip because cores
 * were added or deleted elsewhere in the list (keyset paging, not offsets).
 */

export interface ListKey {
  timestamp: number;
  id: string;
  node: string;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when a comes first in the list, positive when b does, 0 for the same position. */
export function compareKeys(a: ListKey, b: ListKey): number {
  return a.timestamp - b.timestamp || cmp(a.id, b.id) || cmp(a.node, b.node);
}

const CURSOR_VERSION = 1;
/** A cursor is short; anything much longer is not one of ours. */
export const MAX_CURSOR_LENGTH = 1024;

/** The opaque cursor of a position. */
export function encodeCursor(key: ListKey): string {
  return Buffer.from(
    JSON.stringify({ v: CURSOR_VERSION, t: key.timestamp, i: key.id, n: key.node }),
  ).toString('base64url');
}

/**
 * The position a cursor names, or undefined when it is not a cursor this aggregator made.
 * `isValid` checks the id and node name (the same rules as the routes).
 */
export function decodeCursor(
  cursor: string,
  isValid: (key: ListKey) => boolean,
): ListKey | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { v, t, i, n } = parsed as Record<string, unknown>;
  if (v !== CURSOR_VERSION || typeof t !== 'number' || !Number.isSafeInteger(t)) return undefined;
  if (typeof i !== 'string' || typeof n !== 'string') return undefined;
  const key = { timestamp: t, id: i, node: n };
  return isValid(key) ? key : undefined;
}

/**
 * Merges per-node lists into one page: every item after `after` (when given), in list order,
 * at most `limit` of them; `more` tells whether items remain beyond the page.
 * Each node's list must hold its first `limit + 1` items after the cursor (or all of them).
 */
export function mergePage<T extends ListKey>(
  lists: readonly (readonly T[])[],
  limit: number | undefined,
  after?: ListKey,
): { page: T[]; more: boolean } {
  const all: T[] = [];
  for (const list of lists) {
    for (const item of list) if (!after || compareKeys(item, after) > 0) all.push(item);
  }
  all.sort(compareKeys);
  if (limit === undefined || all.length <= limit) return { page: all, more: false };
  return { page: all.slice(0, limit), more: true };
}
