import { BadRequestException } from '@nestjs/common';
import type { ListCoresQueryDto } from '@koredump/api';

import type { CoreRecord } from './core-record.js';

/** The list filters (namespace, pod, container, comm, signal, since, until), without `limit`. */
export type CoreFilterQuery = Omit<ListCoresQueryDto, 'limit'>;

function signalMatcher(signal: string): (r: CoreRecord) => boolean {
  if (/^\d+$/.test(signal)) {
    const n = Number(signal);
    return (r) => r.COREDUMP_SIGNAL === n;
  }
  const name = signal.toUpperCase().startsWith('SIG')
    ? signal.toUpperCase()
    : `SIG${signal.toUpperCase()}`;
  return (r) => r.COREDUMP_SIGNAL_NAME === name;
}

/**
 * One predicate for the list's filters, shared by the list, the watch stream and crash groups so
 * they agree on what "matches" means. Empty values mean "no filter", as the original. Returns
 * undefined when nothing filters (the caller may then use cached whole-list answers).
 */
export function coreMatcher(query: CoreFilterQuery): ((r: CoreRecord) => boolean) | undefined {
  const since = query.since ? Date.parse(query.since) : undefined;
  const until = query.until ? Date.parse(query.until) : undefined;
  if (since !== undefined && until !== undefined && since > until) {
    throw new BadRequestException('since is after until');
  }
  const tests: ((r: CoreRecord) => boolean)[] = [];
  if (query.namespace) tests.push((r) => r.namespace === query.namespace);
  if (query.pod) tests.push((r) => r.pod === query.pod);
  if (query.container) tests.push((r) => r.container === query.container);
  if (query.comm) tests.push((r) => r.COREDUMP_COMM === query.comm);
  if (query.signal) tests.push(signalMatcher(query.signal));
  if (since !== undefined) tests.push((r) => r.timestamp >= since);
  if (until !== undefined) tests.push((r) => r.timestamp <= until);
  if (tests.length === 0) return undefined;
  return (r) => tests.every((t) => t(r));
}
