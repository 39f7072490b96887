import { extractBearerToken, PROXY_AUTH_HEADER } from '@koredump/auth';
import type { Request, Response } from 'express';

import { AggregatorConfig } from './aggregator.config.js';

/**
 * The caller's bearer token, to pass on to the collectors (which enforce RBAC themselves); read
 * the same way the guard read it (Authorization, else X-Koredump-Authorization). Undefined with
 * NO_TOKENS=1: then nothing is passed on. Never logged.
 */
export function callerToken(req: Request, config: AggregatorConfig): string | undefined {
  if (config.authDisabled) return undefined;
  const header =
    req.headers.authorization ?? (req.headers[PROXY_AUTH_HEADER] as string | undefined);
  return extractBearerToken(header);
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
