import { describe, expect, it } from '@jest/globals';
import { ForbiddenException } from '@nestjs/common';

import { Caller } from './caller.js';
import { AccessReviewer, type ResourceAccess, type ReviewedUser } from './token-reviewer.js';

class TableReviewer extends AccessReviewer {
  asked: ResourceAccess[] = [];
  constructor(private readonly allow: (a: ResourceAccess) => boolean) {
    super();
  }
  allowed(_user: ReviewedUser, access: ResourceAccess): Promise<boolean> {
    this.asked.push(access);
    return Promise.resolve(this.allow(access));
  }
}

const alice = { username: 'alice', groups: ['team-a'] };

describe('Caller', () => {
  it('asks RBAC about koredump.io coredumps and subresources, once per request and question', async () => {
    const reviewer = new TableReviewer((a) => a.namespace === 'a' && a.subresource !== 'sensitive');
    const caller = Caller.withRbac(alice, reviewer);
    expect(await caller.may('list', 'a')).toBe(true);
    expect(await caller.may('list', 'a')).toBe(true);
    expect(await caller.may('download', 'a')).toBe(true);
    expect(await caller.may('sensitive', 'a')).toBe(false);
    expect(await caller.may('get', 'b')).toBe(false);
    expect(await caller.may('get', undefined)).toBe(false);
    expect(reviewer.asked).toEqual([
      { group: 'koredump.io', resource: 'coredumps', verb: 'list', namespace: 'a' },
      {
        group: 'koredump.io',
        resource: 'coredumps',
        verb: 'get',
        subresource: 'download',
        namespace: 'a',
      },
      {
        group: 'koredump.io',
        resource: 'coredumps',
        verb: 'get',
        subresource: 'sensitive',
        namespace: 'a',
      },
      { group: 'koredump.io', resource: 'coredumps', verb: 'get', namespace: 'b' },
      { group: 'koredump.io', resource: 'coredumps', verb: 'get', namespace: undefined },
    ]);
  });

  it('names the verb, resource and namespace in a 403', async () => {
    const caller = Caller.withRbac(alice, new TableReviewer(() => false));
    await expect(caller.require('download', 'team-b')).rejects.toThrow(ForbiddenException);
    await expect(caller.require('download', 'team-b')).rejects.toThrow(
      'alice cannot get coredumps/download.koredump.io in namespace "team-b"',
    );
    await expect(caller.require('get', undefined)).rejects.toThrow('at cluster scope');
  });

  it('allows everything when unrestricted (NO_TOKENS, or KOREDUMP_AUTH_MODE=authenticated)', async () => {
    const caller = Caller.unrestricted(alice);
    expect(await caller.may('sensitive', 'anything')).toBe(true);
    await expect(caller.require('download', undefined)).resolves.toBeUndefined();
  });
});
