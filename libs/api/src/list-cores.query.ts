import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** Query of GET /apiv1/cores. Unknown parameters are rejected with 400. */
export class ListCoresQueryDto {
  @ApiPropertyOptional({ description: 'Exact namespace', example: 'default' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  namespace?: string;

  @ApiPropertyOptional({ description: 'Exact pod name', example: 'web-5d8f7c9b4-x2x7k' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  pod?: string;

  @ApiPropertyOptional({ description: 'Exact container name', example: 'app' })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  container?: string;

  @ApiPropertyOptional({ description: 'Exact COREDUMP_COMM', example: 'nginx' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  comm?: string;

  @ApiPropertyOptional({
    description: 'Signal number or name (11, SIGSEGV, SEGV)',
    example: 'SIGSEGV',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(\d{1,2}|(SIG)?[A-Z0-9+]{2,12})$/i, {
    message: 'signal must be a signal number or name',
  })
  signal?: string;

  @ApiPropertyOptional({
    description: 'Only cores at or after this time (ISO-8601)',
    example: '2026-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional({
    description: 'Only cores at or before this time (ISO-8601)',
    example: '2026-12-31T23:59:59Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;

  @ApiPropertyOptional({
    description: 'At most this many cores (the oldest first, as the list order)',
    minimum: 1,
    maximum: 1000000,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  limit?: number;
}

/** Query of the download route. */
export class DownloadQueryDto {
  @ApiPropertyOptional({
    description: 'Stream the decompressed core (zst, lz4, xz); filename without the suffix',
    enum: ['true', 'false'],
  })
  @IsOptional()
  @Matches(/^(true|false)$/, { message: 'decompress must be true or false' })
  decompress?: 'true' | 'false';
}

/**
 * Query of GET /apiv1/cores/watch: the list's filters (no limit) and whether to start with the
 * current matching cores. Unknown parameters are rejected with 400.
 */
export class WatchCoresQueryDto extends OmitType(ListCoresQueryDto, ['limit'] as const) {
  @ApiPropertyOptional({
    description:
      'Start with every current matching core as an `added` event (oldest first), then the live events',
    enum: ['true', 'false'],
  })
  @IsOptional()
  @Matches(/^(true|false)$/, { message: 'initial must be true or false' })
  initial?: 'true' | 'false';
}
