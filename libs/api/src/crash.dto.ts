import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

import { ListCoresQueryDto } from './list-cores.query.js';

/** One frame of a stack trace (libs/crash StackFrame). */
export class StackFrameDto {
  @ApiProperty({ description: 'Frame number (#0 is the innermost)', example: 0 })
  readonly n!: number;
  @ApiProperty({
    description: 'Absolute address (moves between runs: ASLR)',
    example: '0x0000560217375135',
  })
  readonly address!: string;
  @ApiPropertyOptional({
    description: 'Symbol; absent when unknown (`n/a`)',
    example: 'crash_here',
  })
  readonly function?: string;
  @ApiPropertyOptional({ description: 'ELF module the address is in', example: 'crasher' })
  readonly module?: string;
  @ApiPropertyOptional({ description: 'Offset in the module', example: '0x1135' })
  readonly offset?: string;
}

export class StackThreadDto {
  @ApiProperty({ example: 5889 }) readonly tid!: number;
  @ApiProperty({ description: 'The thread that received the signal (listed first)' })
  readonly crashing!: boolean;
  @ApiProperty({ type: [StackFrameDto] }) readonly frames!: StackFrameDto[];
}

export class StackModuleDto {
  @ApiProperty({ example: '/usr/bin/web' }) readonly name!: string;
  @ApiPropertyOptional({ example: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567' })
  readonly buildId?: string;
  @ApiPropertyOptional({ description: 'Package metadata', example: 'deb libc6-2.36-9' })
  readonly package?: string;
}

/** The stack trace systemd-coredump wrote into MESSAGE, parsed. */
export class StackTraceDto {
  @ApiPropertyOptional({ description: 'Thread id of the crashing thread', example: 5889 })
  readonly crashingThread?: number;
  @ApiProperty({ type: [StackThreadDto], description: 'Crashing thread first' })
  readonly threads!: StackThreadDto[];
  @ApiPropertyOptional({ type: [StackModuleDto], description: '`Module … build-id …` lines' })
  readonly modules?: StackModuleDto[];
  @ApiPropertyOptional({ example: 'AMD x86-64' }) readonly architecture?: string;
  @ApiPropertyOptional({ description: 'MESSAGE was cut short; the trace is what preceded the cut' })
  readonly truncated?: boolean;
}

/** A frame as the signature sees it: no address. */
export class SignatureFrameDto {
  @ApiPropertyOptional({ example: 'crash_here' }) readonly function?: string;
  @ApiPropertyOptional({ example: 'crasher' }) readonly module?: string;
  @ApiPropertyOptional({
    description: 'Offset in the module, for frames without a symbol',
    example: '0x1135',
  })
  readonly offset?: string;
}

export class CrashExampleDto {
  @ApiProperty({ example: 'worker-1' }) readonly node!: string;
  @ApiProperty({
    example: 'core.crasher.0.3f1c6b0e2a8d4c5f9e7b1a2c3d4e5f60.4242.1764355200000000.zst',
  })
  readonly id!: string;
  @ApiProperty({ description: 'Crash time, epoch milliseconds', example: 1764357600000 })
  readonly timestamp!: number;
}

/** All cores sharing one crash signature (GET /apiv1/crashgroups). */
export class CrashGroupDto {
  @ApiProperty({ description: 'Crash signature (16 hex)', example: '0495f69d642667d4' })
  readonly signature!: string;
  @ApiProperty({ description: 'Cores with this signature', example: 3 }) readonly count!: number;
  @ApiProperty({ description: 'Earliest crash, ISO-8601 UTC', example: '2026-11-28T19:20:00.000Z' })
  readonly firstSeen!: string;
  @ApiProperty({ description: 'Latest crash, ISO-8601 UTC', example: '2026-11-28T21:05:00.000Z' })
  readonly lastSeen!: string;
  @ApiProperty({ description: 'Base name of COREDUMP_EXE (else the comm)', example: 'crasher' })
  readonly executable!: string;
  @ApiPropertyOptional({ example: 'SIGSEGV' }) readonly signal?: string;
  @ApiProperty({ type: [String], example: ['worker-1', 'worker-2'] }) readonly nodes!: string[];
  @ApiProperty({ type: [String], example: ['default'] }) readonly namespaces!: string[];
  @ApiProperty({
    type: [String],
    description:
      "`namespace/Kind/name` of the pods' controllers (`namespace/Pod/name` for a bare pod)",
    example: ['default/Deployment/web'],
  })
  readonly workloads!: string[];
  @ApiProperty({ type: [String], example: ['registry.example.com/web:1.2.3'] })
  readonly images!: string[];
  @ApiProperty({
    type: [CrashExampleDto],
    description: 'The most recent cores (at most 5), newest first',
  })
  readonly examples!: CrashExampleDto[];
  @ApiProperty({ type: [SignatureFrameDto], description: 'The frames the signature hashes' })
  readonly topFrames!: SignatureFrameDto[];
}

/** Query of GET /apiv1/crashgroups: the list's filters, a sort order and a limit of groups. */
export class CrashGroupsQueryDto extends OmitType(ListCoresQueryDto, ['limit'] as const) {
  @ApiPropertyOptional({
    description: 'Order: most recent crash first (lastSeen, default) or most cores first (count)',
    enum: ['lastSeen', 'count'],
  })
  @IsOptional()
  @IsIn(['lastSeen', 'count'], { message: 'sort must be lastSeen or count' })
  sort?: 'lastSeen' | 'count';

  @ApiPropertyOptional({ description: 'At most this many groups', minimum: 1, maximum: 100000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  limit?: number;
}
