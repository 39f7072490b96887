import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

import { ApiErrorDto } from './api-error.js';

export interface OpenApiInfo {
  title: string;
  description: string;
  version: string;
}

/** Sorts object keys recursively so the checked-in document diffs cleanly. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Builds the app's OpenAPI document; main.ts, the generator script and the drift test share it. */
export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Kubernetes bearer token' })
    .build();
  const doc = SwaggerModule.createDocument(app, config, {
    extraModels: [ApiErrorDto],
    operationIdFactory: (controllerKey: string, methodKey: string) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return sortKeys(doc) as OpenAPIObject;
}

/** Serves Swagger UI at /docs and the document at /openapi.json. */
export function serveOpenApi(app: INestApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, doc, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}
