import { Injectable } from '@nestjs/common';
import { mergeCrashGroups, type CrashGroup } from '@koredump/crash';

import { AggregatorConfig } from '../aggregator.config.js';
import { CollectorClient } from '../collectors/collector-client.js';
import { CollectorCallError, type CollectorFailure } from '../collectors/collector-failure.js';
import { NodeHealthRegistry } from '../collectors/node-health.js';
import { CoresService, type CallContext, type LeftOut } from '../cores/cores.service.js';
import { forwardedFilters } from '../cores/dto/list-cores.query.js';
import type { CollectorTarget } from '../discovery/collector-target.js';
import type { AggregatorCrashGroupsQueryDto } from './crash-groups.query.js';

export interface CrashGroupsResult {
  groups: CrashGroup[];
  leftOut: LeftOut[];
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Whether a collector's answer has the shape of CrashGroup[] (what merging relies on). */
function isCrashGroupList(body: unknown): body is CrashGroup[] {
  return (
    Array.isArray(body) &&
    body.every((g: Record<string, unknown> | null) => {
      return (
        typeof g === 'object' &&
        g !== null &&
        typeof g.signature === 'string' &&
        typeof g.count === 'number' &&
        typeof g.firstSeen === 'string' &&
        typeof g.lastSeen === 'string' &&
        typeof g.executable === 'string' &&
        isStringArray(g.namespaces) &&
        isStringArray(g.workloads) &&
        isStringArray(g.images) &&
        Array.isArray(g.examples) &&
        Array.isArray(g.topFrames)
      );
    })
  );
}

/**
 * Crash groups across the cluster: every collector's groups (for the caller's token, so each
 * applies its own RBAC view), fetched in parallel with the per-node deadline, merged by
 * signature. A node that fails is left out and named; the call fails only when none answered.
 */
@Injectable()
export class CrashGroupsService {
  constructor(
    private readonly config: AggregatorConfig,
    private readonly cores: CoresService,
    private readonly client: CollectorClient,
    private readonly health: NodeHealthRegistry,
  ) {}

  async groups(
    query: AggregatorCrashGroupsQueryDto,
    call: CallContext,
  ): Promise<CrashGroupsResult> {
    const params = forwardedFilters(query);
    const targets = this.cores.targets(query.node);
    // No limit or sort on: a group's count is only right once every node's share is merged.
    const qs = params.toString();
    const path = `/apiv1/crashgroups${qs ? `?${qs}` : ''}`;
    const { answers: lists, leftOut } = await this.cores.fanOut(targets, (t) =>
      this.fromNode(t, path, call),
    );
    return { groups: mergeCrashGroups(lists, query.sort, query.limit), leftOut };
  }

  private async fromNode(
    target: CollectorTarget,
    path: string,
    call: CallContext,
  ): Promise<CrashGroup[]> {
    const body = await this.client.getJson(target, path, {
      ...call,
      timeoutMs: this.config.nodeTimeoutMs,
    });
    if (!isCrashGroupList(body)) {
      const failure: CollectorFailure = { kind: 'bad-answer', message: 'not a crash group list' };
      this.health.failed(target.node, failure);
      throw new CollectorCallError(target.node, failure);
    }
    // The node is named as discovery names it (downloads and metadata route by that name).
    return body.map((g) => ({
      ...g,
      nodes: [target.node],
      examples: g.examples.map((e) => ({ ...e, node: target.node })),
    }));
  }
}
