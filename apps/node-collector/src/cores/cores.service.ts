import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { isValidCoreId } from '@koredump/coredump';

import { CoreCatalog } from './core-catalog.js';
import type { CoreRecord } from './core-record.js';
import type { ListCoresQueryDto } from './dto/list-cores.query.js';

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

/** Query logic over the catalog: filters, limits, id validation. */
@Injectable()
export class CoresService {
  constructor(private readonly catalog: CoreCatalog) {}

  /** The JSON array of matching list records, oldest first, serialized. */
  listJson(query: ListCoresQueryDto): string {
    const since = query.since ? Date.parse(query.since) : undefined;
    const until = query.until ? Date.parse(query.until) : undefined;
    if (since !== undefined && until !== undefined && since > until) {
      throw new BadRequestException('since is after until');
    }
    const tests: ((r: CoreRecord) => boolean)[] = [];
    // Empty values mean "no filter", as the original.
    if (query.namespace) tests.push((r) => r.namespace === query.namespace);
    if (query.pod) tests.push((r) => r.pod === query.pod);
    if (query.container) tests.push((r) => r.container === query.container);
    if (query.comm) tests.push((r) => r.COREDUMP_COMM === query.comm);
    if (query.signal) tests.push(signalMatcher(query.signal));
    if (since !== undefined) tests.push((r) => r.timestamp >= since);
    if (until !== undefined) tests.push((r) => r.timestamp <= until);
    const limit = query.limit ?? Infinity;
    const parts: string[] = [];
    for (const core of this.catalog.list()) {
      if (parts.length >= limit) break;
      if (tests.every((t) => t(core.record))) parts.push(core.listJson);
    }
    return `[${parts.join(',')}]`;
  }

  /** The full record, or 400 for a malformed id and 404 for an unknown one. */
  async metadata(id: string): Promise<Record<string, unknown>> {
    this.checkId(id);
    const record = await this.catalog.getFull(id);
    if (!record) throw notFound(id);
    return record;
  }

  /** The indexed record of a core to download (400/404 as metadata). */
  findForDownload(id: string): CoreRecord {
    this.checkId(id);
    const record = this.catalog.get(id);
    if (!record) throw notFound(id);
    return record;
  }

  private checkId(id: string): void {
    if (!isValidCoreId(id)) {
      throw new BadRequestException(
        'invalid core id: a core id is a file name starting with "core." (no "/", no NUL, at most 255 bytes)',
      );
    }
  }
}

export function notFound(id: string): NotFoundException {
  return new NotFoundException(`core ${id} not found`);
}
