import { requestBearerToken } from '@koredump/auth';
import type { Request, Response } from 'express';

import { AggregatorConfig } from './aggregator.config.js';
import { forwardedHeaders } from './collectors/collector-failure.js';
import { leftOutWarning } from './cores/warning.js';

type LeftOutNode = Parameters<typeof leftOutWarning>[0][number];

/**
 * The caller's bearer token, to pass on to the collectors (which enforce RBAC themselves); read
 * the same way the guard read it (Authorization, else X-Koredump-Authorization). Undefined with
 * NO_TOKENS=1: then nothing is passed on. Never logged.
 */
export function callerToken(req: Request, config: AggregatorConfig): string | undefined {
  if (config.authDisabled) return undefined;
  return requestBearerToken(req.headers);
}

/** An AbortSignal that fires when the client goes away before its answer was sent. */
export function callerSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  return controller.signal;
}

/** What a fan-out passes on for this caller: the token to forward and the signal of its going away. */
export function callerContext(
  req: Request,
  res: Response,
  config: AggregatorConfig,
): { token: string | undefined; signal: AbortSignal } {
  return { token: callerToken(req, config), signal: callerSignal(res) };
}

/**
 * Awaits a call to the collectors for this response: on success, names the nodes it left out in a
 * `Warning` header (see leftOutWarning); on failure, sets the headers the mapped error carries
 * (Retry-After, …) before rethrowing it for the exception filter.
 */
export async function answerFromCollectors<T extends { leftOut?: readonly LeftOutNode[] }>(
  res: Response,
  call: Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await call;
  } catch (err) {
    rethrowWithForwardedHeaders(res, err);
  }
  const warning = leftOutWarning(result.leftOut ?? []);
  if (warning) res.setHeader('Warning', warning);
  return result;
}

/** Sets the headers an error mapped from a collector answer carries, then rethrows it. */
export function rethrowWithForwardedHeaders(res: Response, err: unknown): never {
  for (const [name, value] of Object.entries(forwardedHeaders(err))) res.setHeader(name, value);
  throw err;
}
