import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  HttpException,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '@koredump/http';
import type { Request, Response } from 'express';

import { requestBearerToken } from './bearer-token.js';
import { Caller, type AuthMode } from './caller.js';
import { AccessReviewer, TokenReviewer } from './token-reviewer.js';

/** Auth settings the guard needs; each app maps its config onto this. */
export abstract class AuthSettings {
  /** NO_TOKENS=1: authentication off, for local use only. */
  abstract readonly disabled: boolean;
  /** rbac: SubjectAccessReview per namespace; authenticated: any valid token sees everything. */
  abstract readonly mode: AuthMode;
}

type RequestWithCaller = Request & { koredumpCaller?: Caller };

/**
 * Global guard, secure by default: every route needs a valid bearer token unless @Public().
 * Attaches the request's Caller (who, and what they may do) for the handlers.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly logger = new Logger(BearerAuthGuard.name);
  /** @Public() per handler, looked up once (the metadata never changes at run time). */
  private readonly publicHandlers = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly settings: AuthSettings,
    private readonly tokens: TokenReviewer,
    private readonly access: AccessReviewer,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<RequestWithCaller>();
    if (this.settings.disabled) {
      req.koredumpCaller = Caller.unrestricted();
      return true;
    }
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        handler,
        context.getClass(),
      ]);
      this.publicHandlers.set(handler, isPublic);
    }
    if (isPublic) return true;
    const token = requestBearerToken(req.headers);
    if (!token) return this.deny(http.getResponse<Response>(), 'a bearer token is required');
    let result;
    try {
      result = await this.tokens.review(token);
    } catch (err) {
      this.logger.error(`token review unavailable: ${(err as Error).message}`);
      throw new ServiceUnavailableException(
        'cannot verify the token: the Kubernetes API is unavailable; try again shortly',
      );
    }
    if (!result.authenticated) {
      // Log the decision, never the token.
      this.logger.warn(`token rejected: ${result.reason}`);
      return this.deny(http.getResponse<Response>(), 'the token was not accepted');
    }
    req.koredumpCaller =
      this.settings.mode === 'authenticated'
        ? Caller.unrestricted(result.user)
        : Caller.withRbac(result.user, this.access);
    return true;
  }

  private deny(res: Response, message: string): never {
    res.setHeader('WWW-Authenticate', 'Bearer realm="koredump"');
    throw new UnauthorizedException(message);
  }
}

/** The request's Caller, set by BearerAuthGuard. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Caller => {
    const caller = ctx.switchToHttp().getRequest<RequestWithCaller>().koredumpCaller;
    if (!caller) throw new UnauthorizedException('not authenticated');
    return caller;
  },
);

/** Maps an authorization decision that could not be made to a 503 (never an open door). */
export async function decideOrUnavailable<T>(decision: Promise<T>): Promise<T> {
  try {
    return await decision;
  } catch (err) {
    if (err instanceof HttpException) throw err; // a decision (403), not a failure
    throw new ServiceUnavailableException(
      `cannot check permissions: the Kubernetes API is unavailable (${(err as Error).message})`,
    );
  }
}
