import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const WARNING_CODES = [
  'core-pattern-unreadable',
  'core-pattern-not-systemd-coredump',
  'coredump-conf-invalid',
  'storage-none',
  'storage-journal',
  'external-size-max-below-pod-memory',
  'process-size-max-below-pod-memory',
  'max-use-nearly-reached',
  'keep-free-nearly-reached',
  'disk-nearly-full',
  'coredump-dir-unreadable',
  'journal-unreadable',
] as const;

/** One way the node is not set up to keep (whole) cores. */
export class NodeHealthWarningDto {
  @ApiProperty({ enum: WARNING_CODES, enumName: 'NodeHealthWarningCode' })
  readonly code!: (typeof WARNING_CODES)[number];

  @ApiProperty({
    example:
      'ExternalSizeMax=1G is below the largest pod memory limit on the node (2Gi, team-a/web-1 container app): cores will be truncated',
  })
  readonly message!: string;
}

/** The host kernel's core dump settings (global sysctls). */
export class KernelCoreSettingsDto {
  @ApiPropertyOptional({
    description: 'kernel.core_pattern (absent when it could not be read)',
    example: '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h',
  })
  readonly corePattern?: string;

  @ApiProperty({ description: 'core_pattern pipes cores to systemd-coredump' })
  readonly pipesToSystemdCoredump!: boolean;

  @ApiPropertyOptional({ description: 'kernel.core_pipe_limit', example: 16 })
  readonly corePipeLimit?: number;

  @ApiPropertyOptional({ description: 'kernel.core_uses_pid' })
  readonly coreUsesPid?: boolean;

  @ApiPropertyOptional({ description: 'Why core_pattern could not be read' })
  readonly error?: string;
}

/** systemd-coredump's effective configuration (coredump.conf plus drop-ins over the defaults). */
export class CoredumpConfDto {
  @ApiProperty({ enum: ['none', 'external', 'journal'], enumName: 'CoredumpStorage' })
  readonly storage!: 'none' | 'external' | 'journal';

  @ApiProperty() readonly compress!: boolean;

  @ApiProperty({ description: 'ProcessSizeMax in bytes', example: 34359738368 })
  readonly processSizeMax!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'ExternalSizeMax in bytes; null: infinity',
    example: 34359738368,
  })
  readonly externalSizeMax!: number | null;

  @ApiProperty({ description: 'JournalSizeMax in bytes', example: 804257792 })
  readonly journalSizeMax!: number;

  @ApiPropertyOptional({ description: 'MaxUse as configured, bytes (absent: not set)' })
  readonly maxUse?: number;

  @ApiPropertyOptional({ description: 'KeepFree as configured, bytes (absent: not set)' })
  readonly keepFree?: number;

  @ApiProperty({
    description:
      'MaxUse systemd-coredump enforces: configured, else 10 % of the filesystem (1M..4G); 0: off',
  })
  readonly maxUseEffective!: number;

  @ApiProperty({
    description:
      'KeepFree systemd-coredump enforces: configured, else 15 % of the filesystem (at most 4G); 0: off',
  })
  readonly keepFreeEffective!: number;

  @ApiProperty({
    type: [String],
    description: 'The files applied, in order (host paths)',
    example: ['/etc/systemd/coredump.conf', '/etc/systemd/coredump.conf.d/50-size.conf'],
  })
  readonly files!: string[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The file that set each setting (absent: the compiled-in default)',
    example: { externalSizeMax: '/etc/systemd/coredump.conf.d/50-size.conf' },
  })
  readonly sources!: Record<string, string>;
}

/** The coredump directory and its filesystem. */
export class CoreStorageDto {
  @ApiProperty({ example: '/var/lib/systemd/coredump' }) readonly path!: string;

  @ApiProperty({ description: 'Core files on the node (whatever their namespace)', example: 12 })
  readonly cores!: number;

  @ApiProperty({ description: 'Bytes the cores take', example: 734003200 })
  readonly usedBytes!: number;

  @ApiPropertyOptional({ description: 'Size of the filesystem holding the cores' })
  readonly filesystemBytes?: number;

  @ApiPropertyOptional({ description: 'Free bytes (as systemd-coredump counts them for KeepFree)' })
  readonly filesystemFreeBytes?: number;

  @ApiPropertyOptional({ description: 'Bytes available to unprivileged writers' })
  readonly filesystemAvailableBytes?: number;

  @ApiPropertyOptional({ description: 'Crash time of the oldest core (ISO-8601)' })
  readonly oldestCoreAt?: string;

  @ApiPropertyOptional({ description: 'Age of the oldest core in seconds', example: 86400 })
  readonly oldestCoreAgeSeconds?: number;

  @ApiPropertyOptional({ description: 'Why the filesystem could not be examined' })
  readonly error?: string;
}

export class JournalHealthDto {
  @ApiProperty({ description: 'The journal reader runs (coredump metadata is read)' })
  readonly readable!: boolean;

  @ApiPropertyOptional({ description: 'The last journal error' })
  readonly error?: string;
}

export class LargestMemoryLimitDto {
  @ApiProperty({ example: 2147483648 }) readonly bytes!: number;
  @ApiProperty({ description: 'As the pod spec writes it', example: '2Gi' })
  readonly quantity!: string;
  @ApiProperty({ description: 'namespace/name', example: 'team-a/web-1' }) readonly pod!: string;
  @ApiProperty({ example: 'app' }) readonly container!: string;
}

/** The pods on the node, as the collector's pod watch sees them. */
export class NodePodsDto {
  @ApiProperty({ description: 'The pod watch has listed the pods' }) readonly synced!: boolean;
  @ApiProperty({ description: 'Pods known on the node' }) readonly known!: number;

  @ApiPropertyOptional({
    type: LargestMemoryLimitDto,
    description: 'The largest container memory limit of the running pods',
  })
  readonly largestMemoryLimit?: LargestMemoryLimitDto;

  @ApiProperty({ description: 'Running pods with a container without a memory limit' })
  readonly podsWithoutMemoryLimit!: number;
}

/** GET /apiv1/node on a collector: whether its node is set up to keep cores. */
export class NodeHealthDto {
  @ApiProperty({ example: 'worker-1' }) readonly node!: string;
  @ApiProperty({ description: 'The collector version', example: '0.1.0' })
  readonly version!: string;
  @ApiProperty({ description: 'When this report was made (ISO-8601)' })
  readonly checkedAt!: string;
  @ApiProperty({ type: KernelCoreSettingsDto }) readonly kernel!: KernelCoreSettingsDto;
  @ApiProperty({ type: CoredumpConfDto }) readonly coredumpConf!: CoredumpConfDto;
  @ApiProperty({ type: CoreStorageDto }) readonly storage!: CoreStorageDto;
  @ApiProperty({ type: JournalHealthDto }) readonly journal!: JournalHealthDto;

  @ApiPropertyOptional({
    type: NodePodsDto,
    description: 'Absent without the Kubernetes API (FAKE_K8S=1)',
  })
  readonly pods?: NodePodsDto;

  @ApiProperty({
    type: [NodeHealthWarningDto],
    description: 'Empty when the node is set up to keep whole cores',
  })
  readonly warnings!: NodeHealthWarningDto[];
}
