import { describe, it, expect } from '@jest/globals';
import { usecToEpochMs, usecToIso } from './timestamps.js';

describe('usecToIso', () => {
  it.each<[string | number, string | undefined]>([
    ['1700000000000000', '2023-11-14T22:13:20Z'],
    [1700000000000000, '2023-11-14T22:13:20Z'],
    ['1700000000123456', '2023-11-14T22:13:20.123456Z'],
    ['1700000000000001', '2023-11-14T22:13:20.000001Z'],
    ['1700000000500000', '2023-11-14T22:13:20.500000Z'],
    // precision beyond what a double-based ms conversion would keep
    ['1700000000999999', '2023-11-14T22:13:20.999999Z'],
    ['0', '1970-01-01T00:00:00Z'],
    ['1', '1970-01-01T00:00:00.000001Z'],
    ['0001700000000000000', '2023-11-14T22:13:20Z'],
    ['253402300799999999', '9999-12-31T23:59:59.999999Z'],
    ['253402300800000000', undefined],
    ['18446744073709551615', undefined],
    ['', undefined],
    ['abc', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    [' 1700000000000000', undefined],
    ['1e15', undefined],
    [-1, undefined],
    [1.5, undefined],
    [NaN, undefined],
  ])('%j -> %s', (usec, expected) => {
    expect(usecToIso(usec)).toBe(expected);
  });
});

describe('usecToEpochMs', () => {
  it.each<[string | number, number | undefined]>([
    ['1700000000000000', 1700000000000],
    ['1700000000123456', 1700000000123],
    [1700000000999999, 1700000000999],
    ['999', 0],
    ['0', 0],
    ['9007199254740991000', 9007199254740991],
    ['9007199254740992000', undefined],
    ['18446744073709551615', undefined],
    ['x', undefined],
    ['', undefined],
    [-5, undefined],
  ])('%j -> %s', (usec, expected) => {
    expect(usecToEpochMs(usec)).toBe(expected);
  });
});
