import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { SignatureFrameDto, StackTraceDto } from './crash.dto.js';

const SOURCES = ['conmon', 'hostname', 'none'] as const;

export class AttributionDto {
  @ApiProperty({
    enum: SOURCES,
    enumName: 'AttributionSource',
    description: 'How pod identity was worked out',
  })
  readonly source!: (typeof SOURCES)[number];
}

/** One core in the list: identity fields only (GET /apiv1/cores). */
export class CoreSummaryDto {
  @ApiProperty({
    description: 'Core id: the file name',
    example: 'core.crasher.0.3f1c6b0e2a8d4c5f9e7b1a2c3d4e5f60.4242.1764355200000000.zst',
  })
  readonly id!: string;
  @ApiProperty({ description: 'Kubernetes node name', example: 'worker-1' })
  readonly node!: string;
  @ApiPropertyOptional({
    description: "Node's host name from the journal (_HOSTNAME)",
    example: 'worker-1.example.com',
  })
  readonly hostname?: string;
  @ApiProperty({ example: 'x86_64' })
  readonly ARCH!: string;
  @ApiPropertyOptional({ example: 4242 }) readonly COREDUMP_PID?: number;
  @ApiPropertyOptional({ example: 0 }) readonly COREDUMP_UID?: number;
  @ApiPropertyOptional({ example: 0 }) readonly COREDUMP_GID?: number;
  @ApiPropertyOptional({ example: 11 }) readonly COREDUMP_SIGNAL?: number;
  @ApiPropertyOptional({ example: 'SIGSEGV' }) readonly COREDUMP_SIGNAL_NAME?: string;
  @ApiProperty({ description: 'Crash time, ISO-8601 UTC', example: '2026-11-28T19:20:00Z' })
  readonly COREDUMP_TIMESTAMP!: string;
  @ApiPropertyOptional({ example: 'crasher' }) readonly COREDUMP_COMM?: string;
  @ApiPropertyOptional({ example: '/usr/local/bin/crasher' }) readonly COREDUMP_EXE?: string;
  @ApiPropertyOptional({ example: '/usr/local/bin/crasher 4' }) readonly COREDUMP_CMDLINE?: string;
  @ApiPropertyOptional({
    description: 'UTS host name of the process (the pod name in a pod)',
    example: 'web-5d8f7c9b4-x2x7k',
  })
  readonly COREDUMP_HOSTNAME?: string;
  @ApiPropertyOptional({ example: 'default' }) readonly namespace?: string;
  @ApiPropertyOptional({ example: 'web-5d8f7c9b4-x2x7k' }) readonly pod?: string;
  @ApiPropertyOptional({ example: 'app' }) readonly container?: string;
  @ApiPropertyOptional({ example: 'registry.example.com/web:1.2.3' }) readonly image?: string;
  @ApiPropertyOptional({
    description: 'Pod UID from the cgroup or conmon',
    example: '11111111-2222-3333-4444-555555555555',
  })
  readonly podUID?: string;
  @ApiPropertyOptional({ description: 'Container ID (64 hex) from the cgroup or conmon' })
  readonly containerID?: string;
  @ApiProperty({ type: AttributionDto }) readonly attribution!: AttributionDto;
  @ApiProperty({ description: 'Bytes on disk', example: 279816 }) readonly size!: number;
  @ApiProperty({ enum: ['zst', 'lz4', 'xz', 'none'], enumName: 'Compression' })
  readonly compression!: string;
  @ApiProperty({ description: 'systemd-coredump cut the core short (COREDUMP_TRUNCATED)' })
  readonly truncated!: boolean;
  @ApiProperty({ description: 'Crash time, epoch milliseconds', example: 1764357600000 })
  readonly timestamp!: number;
  @ApiPropertyOptional({
    description:
      'Crash signature: hash of the executable, the signal and the top frames of the crashing thread (absent without a stack trace)',
    example: '0495f69d642667d4',
  })
  readonly signature?: string;
}

/**
 * The full record of one core: the summary plus every field of its journal entry (COREDUMP_*,
 * MESSAGE with the stack trace, _HOSTNAME, …). Integers for PID/UID/GID/SIGNAL; a field that is
 * not valid UTF-8 is `{ "base64": "…" }`; a field the journal holds more than once is an array.
 */
export class CoreRecordDto extends CoreSummaryDto {
  @ApiPropertyOptional({ description: 'Journal message with the stack trace' })
  readonly MESSAGE?: string;
  @ApiPropertyOptional({ description: 'Host path systemd-coredump wrote the core to' })
  readonly COREDUMP_FILENAME?: string;
  @ApiPropertyOptional({ type: StackTraceDto, description: "MESSAGE's stack trace, parsed" })
  readonly stacktrace?: StackTraceDto;
  @ApiPropertyOptional({
    type: [SignatureFrameDto],
    description: 'The frames the signature hashes',
  })
  readonly topFrames?: SignatureFrameDto[];
}
