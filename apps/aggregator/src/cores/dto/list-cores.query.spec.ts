import { describe, expect, it } from '@jest/globals';
import { getMetadataStorage } from 'class-validator';

import { ListCoresQueryDto } from '@koredump/api';
import { FORWARDED_LIST_PARAMS } from './list-cores.query.js';

describe('forwarded list parameters', () => {
  it('are every parameter the collector validates except limit (which paging sets)', () => {
    const collectorParams = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(ListCoresQueryDto, '', false, false)
        .map((m) => m.propertyName),
    );
    collectorParams.delete('limit');
    expect([...FORWARDED_LIST_PARAMS].sort()).toEqual([...collectorParams].sort());
  });
});
