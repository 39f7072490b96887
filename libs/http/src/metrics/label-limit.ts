/**
 * Caps the distinct values of one metric label. The first `max` distinct values are kept as they
 * are; any later new value is reported as OTHER_LABEL_VALUE, so a label fed by cluster data
 * (namespaces, container names) cannot grow the number of time series without bound.
 */
export const OTHER_LABEL_VALUE = '_other';

/** Distinct values kept per capped label before the rest become OTHER_LABEL_VALUE. */
export const DEFAULT_LABEL_VALUE_LIMIT = 200;

export class LabelLimit {
  private readonly admitted = new Set<string>();

  constructor(readonly max: number = DEFAULT_LABEL_VALUE_LIMIT) {}

  /** `value` itself while it is one of the first `max` distinct values seen, else OTHER_LABEL_VALUE. */
  value(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.max) return OTHER_LABEL_VALUE;
    this.admitted.add(value);
    return value;
  }

  /** How many distinct values are admitted (at most `max`). */
  get size(): number {
    return this.admitted.size;
  }
}
