import { LabelLimit } from '@koredump/http';
import { signalName } from '@koredump/journal';

import type { CoreRecord } from '../cores/core-record.js';

/** Signal names as systemd-coredump and the kernel spell them (SIGSEGV, SIGRTMIN+3). */
const SIGNAL_NAME = /^SIG[A-Z0-9]{2,8}([+-]\d{1,2})?$/;

/**
 * The metric labels of a core, each bounded: `namespace` and `container` are names from the
 * cluster's own configuration (namespaces, containers of pod specs), capped at LabelLimit's
 * distinct values; `signal` is a signal name (a few dozen exist) or its number; `source` one of
 * the attribution sources. Unknown values are "" (Prometheus treats an empty label as absent).
 * Never core ids, pod names, pids, paths or images: those grow with every crash or rollout.
 */
export class CoreLabels {
  private readonly namespaces = new LabelLimit();
  private readonly containers = new LabelLimit();
  /** Signals are already few; the cap only guards against odd values in xattrs. */
  private readonly signals = new LabelLimit(100);

  namespace(record: CoreRecord): string {
    return record.namespace ? this.namespaces.value(record.namespace) : '';
  }

  container(record: CoreRecord): string {
    return record.container ? this.containers.value(record.container) : '';
  }

  signal(record: CoreRecord): string {
    const name = record.COREDUMP_SIGNAL_NAME;
    if (typeof name === 'string' && SIGNAL_NAME.test(name)) return this.signals.value(name);
    const number = record.COREDUMP_SIGNAL;
    if (typeof number === 'number' && Number.isInteger(number) && number > 0 && number < 128) {
      return this.signals.value(signalName(number) ?? String(number));
    }
    return '';
  }
}
