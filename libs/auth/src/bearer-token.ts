import type { IncomingHttpHeaders } from 'node:http';

/**
 * The header a client sends its token in when it reaches koredump through the API server's
 * service proxy, which strips `Authorization`.
 */
export const PROXY_AUTH_HEADER = 'x-koredump-authorization';

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other form. */
export function extractBearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** A request's bearer token: from Authorization, else from PROXY_AUTH_HEADER. */
export function requestBearerToken(headers: IncomingHttpHeaders): string | undefined {
  return extractBearerToken(
    headers.authorization ?? (headers[PROXY_AUTH_HEADER] as string | undefined),
  );
}
