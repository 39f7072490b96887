import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';

import type { ApiErrorDto } from './api-error.js';

/** A readable message from an HttpException body: validation lists, terminus health results. */
function describeResponse(response: Record<string, unknown>): string | undefined {
  const { message, status, error } = response;
  if (status === 'error' && error && typeof error === 'object') {
    // @nestjs/terminus: name each failing check and why.
    const failing = Object.entries(error as Record<string, { message?: string }>).map(
      ([check, result]) => `${check}${result.message ? ` (${result.message})` : ''}`,
    );
    return `unhealthy: ${failing.join(', ')}`;
  }
  if (Array.isArray(message)) return message.join('; ');
  if (message === undefined) return undefined;
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/**
 * Maps every error to `{statusCode, error, message}`. HttpExceptions keep their status; anything
 * else is a 500 whose details go to the log only, never to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = this.toBody(exception, req);
    if (res.headersSent) {
      // A streamed body already started: the only honest signal left is to cut the connection.
      res.destroy();
      return;
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, req: Request): ApiErrorDto {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      let message = exception.message;
      if (typeof response === 'object' && response !== null) {
        message = describeResponse(response as Record<string, unknown>) ?? message;
      }
      return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
    }
    this.logger.error(
      `${req.method} ${req.path} failed`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'Internal server error',
    };
  }
}
