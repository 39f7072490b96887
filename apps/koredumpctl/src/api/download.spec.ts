import { describe, expect, it } from '@jest/globals';

import { parseContentRange } from './download.js';

describe('parseContentRange', () => {
  it.each([
    ['bytes 100-199/1000', { start: 100, end: 199, total: 1000 }],
    ['bytes */1000', { start: undefined, end: undefined, total: 1000 }],
    ['bytes 0-9/*', { start: 0, end: 9, total: undefined }],
    ['items 1-2/3', {}],
    [undefined, {}],
  ])('%s', (header, parsed) => {
    expect(parseContentRange(header)).toEqual(parsed);
  });
});
