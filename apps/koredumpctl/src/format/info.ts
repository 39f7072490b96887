import { crashTime, displayText, type CoreRecord } from '../core-record.js';
import { PLAIN, type Style } from './style.js';
import { formatSize, formatTimestampLong } from './units.js';

/** A journal field value as text; binary that is not text is summarised. */
function fieldText(v: unknown): string | undefined {
  const t = displayText(v);
  if (t === undefined || t === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f\x7f]/.test(t)) return `(binary, ${t.length} bytes)`;
  return t;
}

const LABEL_WIDTH = 14;

/**
 * `info`: the full record, readable, in coredumpctl's layout (right-aligned labels, the journal
 * MESSAGE with its stack trace last), plus where the core came from in the cluster.
 */
export function formatInfo(
  core: CoreRecord,
  style: Style = PLAIN,
  now: number = Date.now(),
): string {
  const lines: string[] = [];
  const add = (label: string, value: string | undefined): void => {
    if (value === undefined || value === '') return;
    const [first, ...rest] = value.replace(/\n+$/, '').split('\n');
    lines.push(`${style.bold(label.padStart(LABEL_WIDTH))}: ${first}`);
    for (const l of rest) lines.push(`${' '.repeat(LABEL_WIDTH + 2)}${l}`.trimEnd());
  };
  const f = (name: string): string | undefined => fieldText(core[name]);
  const host = f('hostname');
  add('Core ID', core.id);
  add(
    'Node',
    core.node !== undefined
      ? `${core.node}${host && host !== core.node ? ` (host ${host})` : ''}`
      : host,
  );
  add('Namespace', core.namespace);
  add('Pod', core.pod);
  add('Container', core.container);
  const imageID = f('imageID');
  add(
    'Image',
    (core.image ?? core.image_name)
      ? `${core.image ?? core.image_name}${imageID ? ` (${imageID})` : ''}`
      : undefined,
  );
  if (core.workload?.kind || core.workload?.name) {
    add('Workload', `${core.workload.kind ?? '?'}/${core.workload.name ?? '?'}`);
  }
  add('Pod UID', f('podUID'));
  add('Container ID', f('containerID'));
  add('Attribution', core.attribution?.source);
  const comm = f('COREDUMP_COMM');
  add(
    'PID',
    f('COREDUMP_PID') !== undefined ? `${f('COREDUMP_PID')}${comm ? ` (${comm})` : ''}` : undefined,
  );
  add('UID', f('COREDUMP_UID'));
  add('GID', f('COREDUMP_GID'));
  const sigName = f('COREDUMP_SIGNAL_NAME');
  const sig = f('COREDUMP_SIGNAL');
  add(
    'Signal',
    sig !== undefined ? `${sig}${sigName ? ` (${sigName.replace(/^SIG/, '')})` : ''}` : sigName,
  );
  const t = crashTime(core);
  add('Timestamp', t !== undefined ? formatTimestampLong(t, now) : f('COREDUMP_TIMESTAMP'));
  add('Command Line', f('COREDUMP_CMDLINE'));
  add('Executable', f('COREDUMP_EXE'));
  add('Control Group', f('COREDUMP_CGROUP'));
  add('Unit', f('COREDUMP_UNIT'));
  add('User Unit', f('COREDUMP_USER_UNIT'));
  add('Slice', f('COREDUMP_SLICE'));
  add('Boot ID', f('_BOOT_ID'));
  add('Machine ID', f('_MACHINE_ID'));
  add('Hostname', f('COREDUMP_HOSTNAME'));
  const storage = f('COREDUMP_FILENAME') ?? core.id;
  const state = [core.truncated ? style.yellow('truncated') : 'present'];
  if (core.compression && core.compression !== 'none') state.push(`${core.compression}-compressed`);
  add('Storage', `${storage} (${state.join(', ')})`);
  add('Size on Disk', core.size !== undefined ? formatSize(core.size) : undefined);
  const pkg = [f('COREDUMP_PACKAGE_NAME'), f('COREDUMP_PACKAGE_VERSION')].filter(Boolean).join(' ');
  add('Package', pkg || undefined);
  const redacted = core.redacted;
  if (Array.isArray(redacted) && redacted.length) {
    add('Redacted', `${redacted.map(String).join(', ')} (needs get coredumps/sensitive)`);
  }
  add('Message', f('MESSAGE'));
  return `${lines.join('\n')}\n`;
}
