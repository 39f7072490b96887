import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { decideOrUnavailable, type Caller } from '@koredump/auth';
import { isValidCoreId } from '@koredump/coredump';

import { CoreCatalog } from './core-catalog.js';
import { coreMatcher } from './core-filter.js';
import type { CoreRecord } from './core-record.js';
import type { ListCoresQueryDto } from '@koredump/api';

/** What a caller sees of one namespace's cores: undefined = nothing. */
export type NamespaceView = 'full' | 'redacted' | undefined;

/** Query logic over the catalog: filters, limits, id validation. */
@Injectable()
export class CoresService {
  constructor(private readonly catalog: CoreCatalog) {}

  /**
   * The JSON array of matching list records the caller may see, oldest first, serialized. Cores in
   * namespaces the caller may not list are left out; sensitive fields are redacted per namespace.
   */
  async listBody(query: ListCoresQueryDto, caller: Caller): Promise<Buffer> {
    const matches = coreMatcher(query);
    const filtered = matches !== undefined || query.limit !== undefined;
    // Per namespace: undefined = may not list; otherwise whether sensitive fields are shown.
    const views = new Map<string | undefined, NamespaceView>();
    const viewOf = async (ns: string | undefined) => {
      if (!views.has(ns)) views.set(ns, await decideOrUnavailable(this.viewFor(caller, ns)));
      return views.get(ns);
    };
    // The common case (everything, all of it visible in full) is one cached buffer: no per-core
    // work. The decisions are per namespace and cached, so this costs a few map lookups.
    if (!filtered) {
      let whole = true;
      for (const ns of this.catalog.namespaces()) {
        if ((await viewOf(ns)) !== 'full') whole = false;
      }
      if (whole) return this.catalog.wholeListBody();
    }
    const limit = query.limit ?? Infinity;
    const parts: string[] = [];
    for (const core of this.catalog.list()) {
      if (parts.length >= limit) break;
      if (matches && !matches(core.record)) continue;
      const ns = core.record.namespace;
      // Await only the first time a namespace is met: 10,000 awaits cost more than the work.
      const view = views.has(ns) ? views.get(ns) : await viewOf(ns);
      if (view) parts.push(view === 'full' ? core.listJson : core.listJsonRedacted);
    }
    return Buffer.from(`[${parts.join(',')}]`);
  }

  /** The full record (redacted unless the caller may see sensitive fields); 400/403/404. */
  async metadata(id: string, caller: Caller): Promise<Record<string, unknown>> {
    const record = this.find(id);
    await decideOrUnavailable(caller.require('get', record.namespace));
    const sensitive = await decideOrUnavailable(caller.may('sensitive', record.namespace));
    const full = await this.catalog.getFull(id, !sensitive);
    if (!full) throw notFound(id);
    return full;
  }

  /** The indexed record of a core the caller may download (400/403/404). */
  async findForDownload(id: string, caller: Caller): Promise<CoreRecord> {
    const record = this.find(id);
    await decideOrUnavailable(caller.require('download', record.namespace));
    return record;
  }

  /**
   * What the caller sees of the cores in one namespace: undefined = may not list them; otherwise
   * whether sensitive fields are shown. The list and the watch stream both decide with this.
   */
  async viewFor(caller: Caller, ns: string | undefined): Promise<NamespaceView> {
    if (!(await caller.may('list', ns))) return undefined;
    return (await caller.may('sensitive', ns)) ? 'full' : 'redacted';
  }

  private find(id: string): CoreRecord {
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
