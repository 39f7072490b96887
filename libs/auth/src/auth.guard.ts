import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '@koredump/http';
import type { Request, Response } from 'express';

import { extractBearerToken } from './bearer-token.js';
import { TokenReviewer } from './token-reviewer.js';

/** Auth settings the guard needs; each app maps its config onto this. */
export abstract class AuthSettings {
  /** NO_TOKENS=1: authentication off, for local use only. */
  abstract readonly disabled: boolean;
}

/** Global guard, secure by default: every route needs a valid bearer token unless @Public(). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly logger = new Logger(BearerAuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly settings: AuthSettings,
    private readonly reviewer: TokenReviewer,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.settings.disabled) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const http = context.switchToHttp();
    const token = extractBearerToken(http.getRequest<Request>().headers.authorization);
    if (!token) return this.deny(http.getResponse<Response>(), 'a bearer token is required');
    const result = await this.reviewer.review(token);
    if (!result.authenticated) {
      // Log the decision, never the token.
      this.logger.warn(`token rejected: ${result.reason}`);
      return this.deny(http.getResponse<Response>(), 'the token was not accepted');
    }
    return true;
  }

  private deny(res: Response, message: string): never {
    res.setHeader('WWW-Authenticate', 'Bearer realm="koredump"');
    throw new UnauthorizedException(message);
  }
}
