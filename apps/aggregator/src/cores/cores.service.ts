import {
  BadRequestException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { isValidCoreId } from '@koredump/coredump';

import { AggregatorConfig } from '../aggregator.config.js';
import { CollectorClient } from '../collectors/collector-client.js';
import { NodeHealthRegistry } from '../collectors/node-health.js';
import {
  allFailedException,
  CollectorCallError,
  describeFailure,
  toHttpException,
  type CollectorFailure,
} from '../collectors/collector-failure.js';
import { CollectorDirectory } from '../discovery/collector-directory.js';
import type { CollectorTarget } from '../discovery/collector-target.js';
import { isValidNodeName } from '../names.js';
import { forwardedFilters, type AggregatorListQueryDto } from './dto/list-cores.query.js';
import { compareKeys, decodeCursor, encodeCursor, mergePage, type ListKey } from './list-order.js';
import { scanRecords } from './record-scan.js';
import { leftOutSummary } from './warning.js';

/** The collector's largest accepted limit. */
const COLLECTOR_MAX_LIMIT = 1_000_000;
/** Re-asks of one node when many of its cores share the cursor's millisecond. */
const MAX_ATTEMPTS = 4;

/** One record of the list: its sort key and its JSON. */
export interface CoreItem extends ListKey {
  json: Buffer;
}

export interface LeftOut {
  node: string;
  reason: string;
  failure: CollectorFailure;
}

export interface ListResult {
  items: CoreItem[];
  leftOut: LeftOut[];
  /** The cursor of the next page, when there is one. */
  next?: string;
}

export interface CallContext {
  token?: string;
  signal?: AbortSignal;
}

/** 400 unless `node` is a well-formed node name. */
export function checkNodeName(node: string): void {
  if (!isValidNodeName(node)) {
    throw new BadRequestException(
      'invalid node name: a node name is a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
    );
  }
}

/** 400 unless `id` is shaped like a core id (the collector's rule). */
export function checkCoreId(id: string): void {
  if (!isValidCoreId(id)) {
    throw new BadRequestException(
      'invalid core id: a core id is a file name starting with "core." (no "/", no NUL, at most 255 bytes)',
    );
  }
}

/**
 * The cluster-wide list: one parallel request per node with the per-node deadline, merged in
 * list order, paged with a keyset cursor. A node that fails is left out (and named); the list
 * fails only when no node answered.
 */
@Injectable()
export class CoresService {
  constructor(
    private readonly config: AggregatorConfig,
    private readonly directory: CollectorDirectory,
    private readonly client: CollectorClient,
    private readonly health: NodeHealthRegistry,
  ) {}

  /** The discovered collector of a node: 400 for a malformed name, 404 for an unknown node. */
  target(node: string): CollectorTarget {
    checkNodeName(node);
    this.checkSynced();
    const target = this.directory.get(node);
    if (!target) throw new NotFoundException(`node ${node} is not known (no collector there)`);
    return target;
  }

  /** The collectors a cluster-wide call asks: the one of `node`, else all (once discovered). */
  targets(node: string | undefined): readonly CollectorTarget[] {
    if (node) return [this.target(node)];
    this.checkSynced();
    return this.directory.all();
  }

  async list(query: AggregatorListQueryDto, call: CallContext): Promise<ListResult> {
    const after = query.cursor !== undefined ? this.cursor(query.cursor) : undefined;
    const params = forwardedFilters(query);
    const targets = this.targets(query.node);
    // Resume at the cursor's millisecond; items up to the cursor itself are dropped below.
    if (after && (!query.since || Date.parse(query.since) < after.timestamp)) {
      params.set('since', new Date(after.timestamp).toISOString());
    }

    const { answers: lists, leftOut } = await this.fanOut(targets, (t) =>
      this.fromNode(t, params, query.limit, after, call),
    );
    const { page, more } = mergePage(lists, query.limit, after);
    const last = page[page.length - 1];
    return {
      items: page,
      leftOut,
      ...(more && last ? { next: encodeCursor(last) } : {}),
    };
  }

  /**
   * Asks every target in parallel; a node whose call fails (CollectorCallError) is left out and
   * named. Throws the all-failed error when no node answered.
   */
  async fanOut<T>(
    targets: readonly CollectorTarget[],
    ask: (target: CollectorTarget) => Promise<T>,
  ): Promise<{ answers: T[]; leftOut: LeftOut[] }> {
    const results = await Promise.all(
      targets.map((t) =>
        ask(t).then(
          (answer) => ({ node: t.node, answer }),
          (err: unknown) => {
            if (err instanceof CollectorCallError) return { node: t.node, failure: err.failure };
            throw err;
          },
        ),
      ),
    );
    const answers: T[] = [];
    const leftOut: LeftOut[] = [];
    for (const r of results) {
      if ('answer' in r) answers.push(r.answer);
      else leftOut.push({ node: r.node, failure: r.failure, reason: describeFailure(r.failure) });
    }
    if (answers.length === 0 && leftOut.length > 0) {
      throw allFailedException(leftOut, leftOutSummary(leftOut));
    }
    return { answers, leftOut };
  }

  /** The full record of one core, from its node's collector. */
  async metadata(node: string, id: string, call: CallContext): Promise<unknown> {
    const target = this.target(node);
    checkCoreId(id);
    try {
      return await this.client.getJson(target, `/apiv1/cores/metadata/${encodeURIComponent(id)}`, {
        ...call,
        timeoutMs: this.config.nodeTimeoutMs,
      });
    } catch (err) {
      if (err instanceof CollectorCallError) throw toHttpException(node, err.failure);
      throw err;
    }
  }

  /**
   * One node's items after the cursor: at least `limit + 1` of them when it has that many (so
   * the merged page is exact and we know whether more follow), else all of them.
   */
  private async fromNode(
    target: CollectorTarget,
    params: URLSearchParams,
    limit: number | undefined,
    after: ListKey | undefined,
    call: CallContext,
  ): Promise<CoreItem[]> {
    const deadline = Date.now() + this.config.nodeTimeoutMs;
    const want = limit === undefined ? undefined : limit + 1;
    let skipped = 0;
    for (let attempt = 1; ; attempt++) {
      const ask = want === undefined ? undefined : Math.min(want + skipped, COLLECTOR_MAX_LIMIT);
      const q = new URLSearchParams(params);
      if (ask !== undefined) q.set('limit', String(ask));
      const qs = q.toString();
      const answer = await this.client.getBody(target, `/apiv1/cores${qs ? `?${qs}` : ''}`, {
        ...call,
        timeoutMs: Math.max(1, deadline - Date.now()),
        deadlineMs: this.config.nodeTimeoutMs,
      });
      const items = this.items(target, answer);
      const kept = after ? items.filter((i) => compareKeys(i, after) > 0) : items;
      const complete =
        ask === undefined ||
        items.length < ask ||
        ask === COLLECTOR_MAX_LIMIT ||
        attempt >= MAX_ATTEMPTS;
      if (complete || kept.length >= want!) return kept;
      // Cores sharing the cursor's millisecond filled the answer: ask again for more.
      skipped = items.length - kept.length;
    }
  }

  /**
   * The records of a collector's list answer, each with the node it is routed by: `node` is the
   * name downloads and metadata use (the pod's spec.nodeName), whatever the collector calls it.
   */
  private items(target: CollectorTarget, answer: Buffer): CoreItem[] {
    const scanned = scanRecords(answer);
    if (scanned) {
      return scanned.map((r) => ({
        timestamp: r.timestamp,
        id: r.id,
        node: target.node,
        json:
          r.node === target.node
            ? r.json
            : withNode(JSON.parse(r.json.toString('utf8')), target.node),
      }));
    }
    // Not the compact shape the scanner expects: parse it and check each record.
    let body: unknown;
    try {
      body = JSON.parse(answer.toString('utf8'));
    } catch {
      throw this.bad(target, 'the list is not JSON');
    }
    if (!Array.isArray(body)) throw this.bad(target, 'the list is not a JSON array');
    return (body as unknown[]).map((item) => {
      const r = item as Record<string, unknown> | null;
      if (
        typeof r !== 'object' ||
        r === null ||
        typeof r.id !== 'string' ||
        typeof r.timestamp !== 'number'
      ) {
        throw this.bad(target, 'a list entry has no id or timestamp');
      }
      return {
        timestamp: r.timestamp,
        id: r.id,
        node: target.node,
        json: withNode(r, target.node),
      };
    });
  }

  private bad(target: CollectorTarget, message: string): CollectorCallError {
    const failure: CollectorFailure = { kind: 'bad-answer', message };
    this.health.failed(target.node, failure);
    return new CollectorCallError(target.node, failure);
  }

  private cursor(cursor: string): ListKey {
    const key = decodeCursor(cursor, (k) => isValidNodeName(k.node) && isValidCoreId(k.id));
    if (!key) throw new BadRequestException('invalid cursor: use the X-Next-Cursor of a list');
    return key;
  }

  /** 503 until the collectors have been discovered. */
  checkSynced(): void {
    if (!this.directory.status().synced) {
      throw new ServiceUnavailableException(
        'the collectors are not discovered yet (the collector pod list has not been read); try again shortly',
      );
    }
  }
}

function withNode(record: unknown, node: string): Buffer {
  return Buffer.from(JSON.stringify({ ...(record as Record<string, unknown>), node }));
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** The JSON array of the items' records, assembled with one copy. */
export function listBody(items: readonly CoreItem[]): Buffer {
  const parts: Buffer[] = [OPEN];
  let length = 2 + Math.max(0, items.length - 1);
  items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(item.json);
    length += item.json.length;
  });
  parts.push(CLOSE);
  return Buffer.concat(parts, length);
}
