import { Injectable } from '@nestjs/common';
import type { CrashGroupsQueryDto } from '@koredump/api';
import { decideOrUnavailable, type Caller } from '@koredump/auth';
import { executableName, groupCores, workloadName, type CrashGroup } from '@koredump/crash';

import { CoreCatalog } from '../cores/core-catalog.js';
import { coreMatcher } from '../cores/core-filter.js';
import type { CoreRecord } from '../cores/core-record.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** This node's cores grouped by crash signature, filtered like the list, in the caller's view. */
@Injectable()
export class CrashGroupsService {
  constructor(private readonly catalog: CoreCatalog) {}

  async groups(query: CrashGroupsQueryDto, caller: Caller): Promise<CrashGroup[]> {
    const { sort, limit, ...filters } = query;
    const matches = coreMatcher(filters);
    // Per namespace, whether the caller may list its cores (as the list decides it).
    const listable = new Map<string | undefined, boolean>();
    const grouped: CoreRecord[] = [];
    for (const { record } of this.catalog.list()) {
      // Cores without a stack trace have no signature and are in no group.
      if (!record.signature || !record.topFrames) continue;
      if (matches && !matches(record)) continue;
      const ns = record.namespace;
      let may = listable.get(ns);
      if (may === undefined) {
        may = await decideOrUnavailable(caller.may('list', ns));
        listable.set(ns, may);
      }
      if (may) grouped.push(record);
    }
    return groupCores(
      grouped.map((r) => ({
        signature: r.signature!,
        topFrames: r.topFrames!,
        node: r.node,
        id: r.id,
        timestamp: r.timestamp,
        executable: executableName(str(r.COREDUMP_EXE), str(r.COREDUMP_COMM)),
        signal: str(r.COREDUMP_SIGNAL_NAME),
        namespace: r.namespace,
        workload: workloadName(r),
        image: r.image,
      })),
      sort,
      limit,
    );
  }
}
