import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** Why a collector call gave no usable answer. */
export type CollectorFailure =
  | { kind: 'not-ready'; reason: string }
  | { kind: 'timeout'; ms: number }
  | { kind: 'unreachable'; code: string }
  | { kind: 'http'; status: number; message: string; wwwAuthenticate?: string }
  | { kind: 'bad-answer'; message: string };

/** A failed call to the collector of one node. */
export class CollectorCallError extends Error {
  constructor(
    readonly node: string,
    readonly failure: CollectorFailure,
  ) {
    super(`node ${node}: ${describeFailure(failure)}`);
  }
}

/** Short text of a failure, as in the Warning header: `timeout after 5000 ms`. */
export function describeFailure(f: CollectorFailure): string {
  switch (f.kind) {
    case 'not-ready':
      return f.reason;
    case 'timeout':
      return `timeout after ${f.ms} ms`;
    case 'unreachable':
      return `unreachable: ${f.code}`;
    case 'http':
      return `HTTP ${f.status}${f.message ? `: ${f.message}` : ''}`;
    case 'bad-answer':
      return `bad answer: ${f.message}`;
  }
}

/** True for failures that say something about the collector's health (not about the caller). */
export function isCollectorFault(f: CollectorFailure): boolean {
  return f.kind !== 'http' || f.status >= 500;
}

class ForwardedHttpException extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message }, status);
  }
}

/** Extra response headers an error mapped from a collector answer carries (WWW-Authenticate). */
export function forwardedHeaders(err: unknown): Record<string, string> {
  return err instanceof ForwardedHttpException ? err.headers : {};
}

/**
 * The aggregator's answer for a failed call to one node's collector:
 * - the collector's own 4xx (400, 401, 403, 404, 416, …) is passed on as such, with its message;
 * - a collector that could not check the caller (503) stays 503, naming the node;
 * - any other collector error (5xx) or an unreadable answer is 502, naming the node;
 * - unreachable: 502; no answer within the deadline: 504; pod not ready: 503.
 */
export function toHttpException(node: string, f: CollectorFailure): HttpException {
  switch (f.kind) {
    case 'not-ready':
      return new ForwardedHttpException(
        HttpStatus.SERVICE_UNAVAILABLE,
        `node ${node}: ${f.reason}`,
      );
    case 'timeout':
      return new ForwardedHttpException(
        HttpStatus.GATEWAY_TIMEOUT,
        `node ${node}: the collector did not answer within ${f.ms} ms`,
      );
    case 'unreachable':
      return new ForwardedHttpException(
        HttpStatus.BAD_GATEWAY,
        `node ${node}: the collector is unreachable (${f.code})`,
      );
    case 'bad-answer':
      return new ForwardedHttpException(
        HttpStatus.BAD_GATEWAY,
        `node ${node}: the collector's answer was unusable (${f.message})`,
      );
    case 'http':
      if (f.status >= 400 && f.status < 500) {
        return new ForwardedHttpException(
          f.status,
          f.message || `node ${node}: HTTP ${f.status}`,
          f.status === 401 && f.wwwAuthenticate ? { 'WWW-Authenticate': f.wwwAuthenticate } : {},
        );
      }
      if (f.status === 503) {
        return new ForwardedHttpException(
          HttpStatus.SERVICE_UNAVAILABLE,
          `node ${node}: ${f.message || 'the collector is unavailable'}`,
        );
      }
      return new ForwardedHttpException(
        HttpStatus.BAD_GATEWAY,
        `node ${node}: the collector answered HTTP ${f.status}${f.message ? ` (${f.message})` : ''}`,
      );
  }
}

/**
 * The answer when no queried node answered a list: every node's own 4xx when they all agree
 * (a token every collector rejects is a 401, not an empty list); one node: its mapped error;
 * several: 504 when all timed out, 503 when none is ready, else 502, naming every node.
 */
export function allFailedException(
  failures: readonly { node: string; failure: CollectorFailure }[],
  summary: string,
): HttpException {
  const first = failures[0];
  const statuses = new Set(
    failures.map(({ failure: f }) => (f.kind === 'http' && f.status < 500 ? f.status : 0)),
  );
  if (failures.length === 1 || (statuses.size === 1 && !statuses.has(0))) {
    return toHttpException(first.node, first.failure);
  }
  const kinds = new Set(failures.map(({ failure }) => failure.kind));
  const status =
    kinds.size === 1 && kinds.has('timeout')
      ? HttpStatus.GATEWAY_TIMEOUT
      : kinds.size === 1 && kinds.has('not-ready')
        ? HttpStatus.SERVICE_UNAVAILABLE
        : HttpStatus.BAD_GATEWAY;
  return new ForwardedHttpException(status, `no collector answered: ${summary}`);
}
