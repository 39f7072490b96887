import { displayText, type CoreRecord } from '../core-record.js';
import { PLAIN, type Style } from './style.js';

const text = (v: unknown): string => displayText(v) ?? '';

/**
 * The original koredumpctl's `list` layout (0.4.0), one YAML-like block per core; missing values
 * print as empty strings, labels are bold on a terminal:
 *
 * ```
 * - ID: core.app.1000.….zst
 *   Node: worker-1
 *   Cmdline: "/usr/bin/app --serve"
 *   COMM: "app" | PID: 4242 | UID: 1000 | GID: 1000
 *   Pod: web-1 | Container: app | Namespace: team-a
 *   Image: registry/web:1
 *   Signal: SIGSEGV (11)
 *   Timestamp: 2026-01-01T00:00:01Z
 * ```
 */
export function formatHumanBlock(core: CoreRecord, style: Style = PLAIN): string {
  const b = style.bold;
  return [
    `- ${b('ID:')} ${text(core.id)}`,
    `  ${b('Node:')} ${text(core.node)}`,
    `  ${b('Cmdline:')} "${text(core.COREDUMP_CMDLINE)}"`,
    `  ${b('COMM:')} "${text(core.COREDUMP_COMM)}" | ${b('PID:')} ${text(core.COREDUMP_PID)} | ${b('UID:')} ${text(core.COREDUMP_UID)} | ${b('GID:')} ${text(core.COREDUMP_GID)}`,
    `  ${b('Pod:')} ${text(core.pod)} | ${b('Container:')} ${text(core.container)} | ${b('Namespace:')} ${text(core.namespace)}`,
    `  ${b('Image:')} ${text(core.image ?? core.image_name)}`,
    `  ${b('Signal:')} ${text(core.COREDUMP_SIGNAL_NAME)} (${text(core.COREDUMP_SIGNAL)})`,
    `  ${b('Timestamp:')} ${text(core.COREDUMP_TIMESTAMP)}`,
  ].join('\n');
}

/** Every core as a block, each block ending in a newline. */
export function formatHuman(cores: readonly CoreRecord[], style: Style = PLAIN): string {
  return cores.map((c) => `${formatHumanBlock(c, style)}\n`).join('');
}
