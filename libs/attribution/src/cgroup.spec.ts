import { describe, it, expect } from '@jest/globals';
import { parseKubepodsCgroup, parseProcCgroup, type CgroupPodRef } from './cgroup.js';

const UID = '11111111-2222-3333-4444-555555555555';
const UID_ = UID.replace(/-/g, '_');
const HASH = '0123456789abcdef0123456789abcdef';
const CID = 'ab'.repeat(32);
const CID2 = 'cd'.repeat(32);

const ref = (over: Partial<CgroupPodRef>): CgroupPodRef => ({
  podUID: UID,
  staticPod: false,
  qosClass: 'guaranteed',
  driver: 'systemd',
  ...over,
});

const sysBurst = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;
const sysBest = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice`;
const sysGuar = `/kubepods.slice/kubepods-pod${UID_}.slice`;

describe('parseKubepodsCgroup', () => {
  it.each<[string, string, CgroupPodRef]>([
    // systemd driver, every QoS class with every runtime scope
    [
      'systemd guaranteed containerd',
      `${sysGuar}/cri-containerd-${CID}.scope`,
      ref({ containerID: CID, runtime: 'containerd' }),
    ],
    [
      'systemd guaranteed crio',
      `${sysGuar}/crio-${CID}.scope`,
      ref({ containerID: CID, runtime: 'cri-o' }),
    ],
    [
      'systemd guaranteed docker',
      `${sysGuar}/docker-${CID}.scope`,
      ref({ containerID: CID, runtime: 'docker' }),
    ],
    [
      'systemd burstable containerd',
      `${sysBurst}/cri-containerd-${CID}.scope`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'systemd burstable crio',
      `${sysBurst}/crio-${CID}.scope`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'cri-o' }),
    ],
    [
      'systemd burstable docker',
      `${sysBurst}/docker-${CID}.scope`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'docker' }),
    ],
    [
      'systemd besteffort containerd',
      `${sysBest}/cri-containerd-${CID}.scope`,
      ref({ qosClass: 'besteffort', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'systemd besteffort crio',
      `${sysBest}/crio-${CID}.scope`,
      ref({ qosClass: 'besteffort', containerID: CID, runtime: 'cri-o' }),
    ],
    [
      'systemd besteffort docker',
      `${sysBest}/docker-${CID}.scope`,
      ref({ qosClass: 'besteffort', containerID: CID, runtime: 'docker' }),
    ],
    // CRI-O's conmon scope is the monitor, not the workload
    [
      'systemd crio-conmon scope',
      `${sysBurst}/crio-conmon-${CID}.scope`,
      ref({ qosClass: 'burstable' }),
    ],
    [
      'systemd UID with hex letters',
      `/kubepods.slice/kubepods-pod0a1b2c3d_e4f5_6789_abcd_ef0123456789.slice/crio-${CID}.scope`,
      ref({ podUID: '0a1b2c3d-e4f5-6789-abcd-ef0123456789', containerID: CID, runtime: 'cri-o' }),
    ],
    // pod-level paths
    ['systemd pod-level', sysBurst, ref({ qosClass: 'burstable' })],
    ['systemd pod-level guaranteed, trailing slash', `${sysGuar}/`, ref({})],
    // static pods: 32-hex config hash as the UID
    [
      'systemd static pod',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${HASH}.slice/cri-containerd-${CID}.scope`,
      ref({
        podUID: HASH,
        staticPod: true,
        qosClass: 'burstable',
        containerID: CID,
        runtime: 'containerd',
      }),
    ],
    [
      'systemd static guaranteed pod',
      `/kubepods.slice/kubepods-pod${HASH}.slice/crio-${CID}.scope`,
      ref({ podUID: HASH, staticPod: true, containerID: CID, runtime: 'cri-o' }),
    ],
    // cgroupfs driver
    [
      'cgroupfs guaranteed bare hex',
      `/kubepods/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', containerID: CID }),
    ],
    [
      'cgroupfs burstable bare hex',
      `/kubepods/burstable/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'burstable', containerID: CID }),
    ],
    [
      'cgroupfs besteffort bare hex',
      `/kubepods/besteffort/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'besteffort', containerID: CID }),
    ],
    [
      'cgroupfs crio- leaf',
      `/kubepods/burstable/pod${UID}/crio-${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'burstable', containerID: CID, runtime: 'cri-o' }),
    ],
    [
      'cgroupfs crio-conmon leaf',
      `/kubepods/burstable/pod${UID}/crio-conmon-${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'burstable' }),
    ],
    [
      'cgroupfs pod-level',
      `/kubepods/besteffort/pod${UID}`,
      ref({ driver: 'cgroupfs', qosClass: 'besteffort' }),
    ],
    [
      'cgroupfs static pod',
      `/kubepods/pod${HASH}/${CID}`,
      ref({ driver: 'cgroupfs', podUID: HASH, staticPod: true, containerID: CID }),
    ],
    // prefixes: kind / k3d nesting and --cgroup-root
    [
      'kind (systemd, --cgroup-root=/kubelet inside a docker scope)',
      `/system.slice/docker-${CID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${CID}.scope`,
      ref({ qosClass: 'besteffort', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'kind guaranteed',
      `/system.slice/docker-${CID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${UID_}.slice/cri-containerd-${CID}.scope`,
      ref({ containerID: CID, runtime: 'containerd' }),
    ],
    [
      'k3d (cgroupfs under a docker cgroup, v1)',
      `/docker/${CID2}/kubepods/burstable/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'burstable', containerID: CID }),
    ],
    [
      'k3d (cgroupfs under a docker scope, v2)',
      `/system.slice/docker-${CID2}.scope/kubepods/besteffort/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', qosClass: 'besteffort', containerID: CID }),
    ],
    [
      '--cgroup-root=/custom (cgroupfs)',
      `/custom/kubepods/pod${UID}/${CID}`,
      ref({ driver: 'cgroupfs', containerID: CID }),
    ],
    [
      'v1 controller mount prefix is not part of the path but tolerated',
      `/sys/fs/cgroup/unified${sysBurst}/cri-containerd-${CID}.scope`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'sub-cgroup created inside the container',
      `${sysBurst}/cri-containerd-${CID}.scope/init.scope`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'unknown runtime prefix keeps the ID, no runtime',
      `${sysBurst}/cri-dockerd-${CID}.scope`,
      ref({ qosClass: 'burstable', containerID: CID }),
    ],
    [
      'an unrelated kubepods-like segment before the real one is skipped',
      `/kubepods/not-a-pod/x${sysGuar}/crio-${CID}.scope`,
      ref({ containerID: CID, runtime: 'cri-o' }),
    ],
  ])('%s', (_label, path, expected) => {
    expect(parseKubepodsCgroup(path)).toStrictEqual(expected);
  });

  it.each<[string, string]>([
    ['empty', ''],
    ['root', '/'],
    ['garbage', 'not a cgroup at all'],
    ['user session', '/user.slice/user-1000.slice/session-2.scope'],
    ['user service', '/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service'],
    ['system service', '/system.slice/foo.service'],
    ['docker container (not k8s)', `/system.slice/docker-${CID}.scope`],
    ['kubepods slice only', '/kubepods.slice'],
    ['qos slice only', '/kubepods.slice/kubepods-burstable.slice'],
    ['cgroupfs qos only', '/kubepods/burstable'],
    ['uppercase UID', `/kubepods/podABCDEF01-2222-3333-4444-555555555555/${CID}`],
    ['uppercase static hash', `/kubepods/pod${HASH.toUpperCase()}/${CID}`],
    ['uppercase container ID', `${sysGuar}/crio-${CID.toUpperCase()}.scope`],
    ['short container ID', `${sysGuar}/crio-${CID.slice(2)}.scope`],
    ['long container ID', `${sysGuar}/crio-${CID}00.scope`],
    ['short UID', `/kubepods/pod${UID.slice(1)}/${CID}`],
    ['31-hex static hash', `/kubepods/pod${HASH.slice(1)}/${CID}`],
    ['systemd UID with dashes', `/kubepods.slice/kubepods-pod${UID}.slice/crio-${CID}.scope`],
    ['cgroupfs UID with underscores', `/kubepods/pod${UID_}/${CID}`],
    [
      'mismatched qos prefix',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod${UID_}.slice`,
    ],
    ['pod slice without .slice', `/kubepods.slice/kubepods-pod${UID_}/crio-${CID}.scope`],
    ['unknown qos level', `/kubepods/guaranteed/pod${UID}/${CID}`],
    ['garbage leaf', `${sysBurst}/garbage.scope`],
    ['garbage leaf cgroupfs', `/kubepods/pod${UID}/xyz`],
    ['conmon with bad id', `${sysBurst}/crio-conmon-1234.scope`],
    ['NUL byte', `/kubepods/pod${UID}/${CID}\0`],
  ])('%s -> null', (_label, path) => {
    expect(parseKubepodsCgroup(path)).toBeNull();
  });
});

describe('parseProcCgroup', () => {
  const v1 = (leaf: string) =>
    [
      '12:hugetlb:/',
      `11:memory:/kubepods/burstable/pod${UID}${leaf}`,
      '10:devices:/',
      `9:cpu,cpuacct:/kubepods/burstable/pod${UID}`,
      `1:name=systemd:/kubepods/burstable/pod${UID}${leaf}`,
      '0::/',
      '',
    ].join('\n');

  it.each<[string, string, CgroupPodRef | null]>([
    [
      'v2 single 0:: line',
      `0::${sysBurst}/cri-containerd-${CID}.scope\n`,
      ref({ qosClass: 'burstable', containerID: CID, runtime: 'containerd' }),
    ],
    [
      'v1 multi-line, a kubepods line among others',
      v1(`/${CID}`),
      ref({ driver: 'cgroupfs', qosClass: 'burstable', containerID: CID }),
    ],
    [
      'v1 where only a later line has the container',
      [
        `4:cpu:/kubepods/burstable/pod${UID}`,
        `3:pids:/kubepods/burstable/pod${UID}/crio-${CID}`,
      ].join('\n'),
      ref({ driver: 'cgroupfs', qosClass: 'burstable', containerID: CID, runtime: 'cri-o' }),
    ],
    ['v1 pod-level only', v1(''), ref({ driver: 'cgroupfs', qosClass: 'burstable' })],
    [
      'v1 systemd driver, CRLF line ends',
      `5:memory:/system.slice\r\n1:name=systemd:${sysGuar}/crio-${CID}.scope\r\n`,
      ref({ containerID: CID, runtime: 'cri-o' }),
    ],
    ['v2 crio-conmon', `0::${sysBurst}/crio-conmon-${CID}.scope`, ref({ qosClass: 'burstable' })],
    ['v2 host process', '0::/system.slice/foo.service\n', null],
    ['v1 host process', '12:memory:/user.slice\n1:name=systemd:/user.slice/user-0.slice', null],
    ['empty', '', null],
    ['garbage', 'hello\nworld', null],
    ['bare path is not a /proc/PID/cgroup line', `${sysGuar}/crio-${CID}.scope`, null],
  ])('%s', (_label, text, expected) => {
    expect(parseProcCgroup(text)).toStrictEqual(expected);
  });
});
