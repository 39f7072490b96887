import { describe, expect, it } from '@jest/globals';

import { parseQuantity } from './quantity.js';

describe('parseQuantity (Kubernetes resource.Quantity)', () => {
  it.each<[string, number | undefined]>([
    ['512Mi', 512 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1G', 1e9],
    ['0.3G', 3e8],
    ['1e9', 1e9],
    ['1E9', 1e9],
    ['12e-1', 2], // 1.2, rounded up to a whole byte
    ['128974848', 128974848],
    ['129M', 129e6],
    ['123k', 123000],
    ['100m', 1],
    ['1Ki', 1024],
    ['+1Ki', 1024],
    ['1Ti', 2 ** 40],
    ['', undefined],
    ['1 Gi', undefined],
    ['1GB', undefined],
    ['1gi', undefined],
    ['Gi', undefined],
    ['one', undefined],
  ])('%j -> %s', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });
});
