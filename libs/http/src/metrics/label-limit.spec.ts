import { describe, expect, it } from '@jest/globals';

import { LabelLimit, OTHER_LABEL_VALUE } from './label-limit.js';

describe('LabelLimit', () => {
  it('keeps the first max distinct values and folds later ones into the other bucket', () => {
    const limit = new LabelLimit(2);
    expect(limit.value('team-a')).toBe('team-a');
    expect(limit.value('team-b')).toBe('team-b');
    expect(limit.value('team-c')).toBe(OTHER_LABEL_VALUE);
    // Admitted values stay admitted; the other bucket does not take a slot.
    expect(limit.value('team-a')).toBe('team-a');
    expect(limit.value('team-c')).toBe(OTHER_LABEL_VALUE);
    expect(limit.size).toBe(2);
  });

  it('its other bucket cannot collide with a Kubernetes name (underscore is not allowed there)', () => {
    expect(OTHER_LABEL_VALUE).not.toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
