import { Injectable, Logger } from '@nestjs/common';

import { describeFailure, isCollectorFault, type CollectorFailure } from './collector-failure.js';

export interface NodeHealth {
  /** Last time the collector answered anything (any status). */
  lastSeen?: Date;
  /** The last failure that was the collector's fault (unreachable, timeout, 5xx, bad answer). */
  lastError?: string;
  lastErrorAt?: Date;
  /** The last call to the collector failed through its own fault. */
  failing: boolean;
  /** The collector version, learned from its OpenAPI document, for this URL. */
  version?: { url: string; version: string };
}

/**
 * What the aggregator has learnt about each node's collector from the calls it made (lists,
 * metadata, downloads, probes). Transitions (failing / answering again) are logged once.
 */
@Injectable()
export class NodeHealthRegistry {
  private readonly logger = new Logger('Collectors');
  private readonly nodes = new Map<string, NodeHealth>();

  get(node: string): NodeHealth {
    let h = this.nodes.get(node);
    if (!h) this.nodes.set(node, (h = { failing: false }));
    return h;
  }

  /** The collector answered (any HTTP status that is not its own fault). */
  answered(node: string): void {
    const h = this.get(node);
    h.lastSeen = new Date();
    if (h.failing) {
      h.failing = false;
      this.logger.log(`node ${node}: collector answers again`);
    }
  }

  failed(node: string, failure: CollectorFailure): void {
    if (!isCollectorFault(failure)) {
      this.answered(node);
      return;
    }
    const h = this.get(node);
    if (failure.kind === 'http' || failure.kind === 'bad-answer') h.lastSeen = new Date();
    h.lastError = describeFailure(failure);
    h.lastErrorAt = new Date();
    if (!h.failing) {
      h.failing = true;
      this.logger.warn(`node ${node}: ${h.lastError}`);
    }
  }

  setVersion(node: string, url: string, version: string): void {
    this.get(node).version = { url, version };
  }

  /** Forgets nodes that are no longer known. */
  retain(nodes: ReadonlySet<string>): void {
    for (const node of this.nodes.keys()) if (!nodes.has(node)) this.nodes.delete(node);
  }
}
