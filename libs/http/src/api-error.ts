import { applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** The one error body every koredump endpoint answers with. */
export class ApiErrorDto {
  @ApiProperty({ example: 404 })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: 'HTTP reason phrase' })
  readonly error!: string;

  @ApiProperty({ example: 'core core.x.0.abc.1.1 not found' })
  readonly message!: string;
}

/** What a 503 means on a collector route: its token or permission check needs the API server. */
export const TOKEN_CHECK_UNAVAILABLE =
  'The Kubernetes API could not be asked (token or permission check)';

/**
 * The OpenAPI every controller behind the bearer-token guard shares: the bearer scheme, its 401,
 * and its 503 (`unavailable`: what a 503 means on these routes, the failed check included).
 */
export function ApiTokenAuth(
  unavailable: string = TOKEN_CHECK_UNAVAILABLE,
): ClassDecorator & MethodDecorator {
  // In the order they would be stacked above the class (applied bottom-up).
  const stacked = [
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'Missing or rejected bearer token' }),
    ApiServiceUnavailableResponse({ type: ApiErrorDto, description: unavailable }),
  ];
  return applyDecorators(...stacked.reverse());
}
