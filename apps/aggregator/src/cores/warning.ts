/**
 * Pure: the `Warning` header naming the nodes a list left out (RFC 7234 §5.5, code 199
 * "miscellaneous warning", agent `koredump`):
 *
 *   Warning: 199 koredump "nodes left out: node-b (timeout after 5000 ms), node-c (unreachable: ECONNREFUSED)"
 */

/** Nodes named in full; the rest are counted. */
export const MAX_NAMED_NODES = 50;
const MAX_REASON_LENGTH = 160;

/** Printable ASCII only (header values are Latin-1, and the CLI prints them as they are). */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** `node-b (timeout after 5000 ms), node-c (…)`; at most MAX_NAMED_NODES named. */
export function leftOutSummary(leftOut: readonly { node: string; reason: string }[]): string {
  const named = leftOut.slice(0, MAX_NAMED_NODES).map(({ node, reason }) => {
    const r = printable(reason);
    return `${node} (${r.length > MAX_REASON_LENGTH ? `${r.slice(0, MAX_REASON_LENGTH - 3)}...` : r})`;
  });
  const rest = leftOut.length - named.length;
  return printable(named.join(', ') + (rest > 0 ? `, and ${rest} more` : ''));
}

/** The Warning header value, or undefined when no node was left out. */
export function leftOutWarning(
  leftOut: readonly { node: string; reason: string }[],
): string | undefined {
  if (leftOut.length === 0) return undefined;
  const text = `nodes left out: ${leftOutSummary(leftOut)}`;
  return `199 koredump "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
