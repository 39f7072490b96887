import { describe, it, expect } from '@jest/globals';
import { parsePodLogDirName, type PodLogDir } from './pod-logs.js';

const UID = '0a1b2c3d-e4f5-4789-abcd-ef0123456789';
const HASH = '0123456789abcdef0123456789abcdef';

describe('parsePodLogDirName', () => {
  it.each<[string, string, PodLogDir | null]>([
    ['regular pod', `team-a_web-0_${UID}`, { namespace: 'team-a', pod: 'web-0', podUID: UID }],
    [
      'static pod: config hash',
      `kube-system_etcd-node-1_${HASH}`,
      { namespace: 'kube-system', pod: 'etcd-node-1', podUID: HASH },
    ],
    [
      'pod name with dots (DNS subdomain)',
      `default_my.pod-1_${UID}`,
      { namespace: 'default', pod: 'my.pod-1', podUID: UID },
    ],
    [
      'deployment pod name',
      `prod_api-7d9f8b6c5d-x2x4q_${UID}`,
      { namespace: 'prod', pod: 'api-7d9f8b6c5d-x2x4q', podUID: UID },
    ],
    ['two parts', `team-a_${UID}`, null],
    ['four parts', `team-a_web_0_${UID}`, null],
    ['empty pod', `team-a__${UID}`, null],
    ['empty namespace', `_web-0_${UID}`, null],
    ['upper-case namespace', `Team-A_web-0_${UID}`, null],
    ['namespace with a dot', `team.a_web-0_${UID}`, null],
    ['namespace longer than 63', `${'a'.repeat(64)}_web-0_${UID}`, null],
    ['pod starting with a dash', `team-a_-web_${UID}`, null],
    ['UID not a UUID', 'team-a_web-0_not-a-uid', null],
    ['UID in upper case', `team-a_web-0_${UID.toUpperCase()}`, null],
    ['hash too short', `team-a_web-0_${HASH.slice(1)}`, null],
    ['trailing slash', `team-a_web-0_${UID}/`, null],
    ['a path, not a name', `/var/log/pods/team-a_web-0_${UID}`, null],
    ['dot entry', '.', null],
    ['empty', '', null],
  ])('%s', (_name, input, expected) => {
    expect(parsePodLogDirName(input)).toEqual(expected);
  });
});
