import { describe, it, expect } from '@jest/globals';
import { splitCommandLine } from './cmdline.js';
import { parseConmonCmdline, type ConmonRef } from './conmon.js';

const UID = '11111111-2222-3333-4444-555555555555';
const CID = '0123abcd'.repeat(8);
const LOG = `/var/log/pods/default_mypod_${UID}/app/0.log`;
const REAL =
  `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${CID}/userdata -c ${CID} ` +
  `--exit-dir /var/run/crio/exits -l ${LOG} --log-level info -n k8s_app_mypod_default_${UID}_0 ` +
  `--runtime-arg --root=/run/runc -r /usr/bin/runc -s -u ${CID} -P /run/containers/storage/overlay-containers/${CID}/userdata/conmon-pidfile --syslog`;
const full: ConmonRef = {
  container: 'app',
  pod: 'mypod',
  namespace: 'default',
  podUID: UID,
  restartCount: 0,
  containerID: CID,
};

describe('splitCommandLine', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    ['/usr/bin/conmon -c abc', ['/usr/bin/conmon', '-c', 'abc']],
    ['a  b\tc', ['a', 'b', 'c']],
    ['a "b c" d', ['a', 'b c', 'd']],
    ["a 'b c' d", ['a', 'b c', 'd']],
    ["a $'b c' d", ['a', 'b c', 'd']],
    ['"a \\"q\\" \\\\ \\$x \\`y\\` \\n"', ['a "q" \\ $x `y` \\n']],
    ["'a \\n b'", ['a \\n b']],
    ["$'it\\'s\\ta\\nb\\\\c'", ["it's\ta\nb\\c"]],
    ["$'\\x41\\102\\xc3\\xa9\\q'", ['ABé\\q']],
    ['pre"fix"\'ed\'', ['prefixed']],
    ['""', ['']],
    ["a ''", ['a', '']],
    ['a "unterminated b', ['a', 'unterminated b']],
    ["a 'unterminated", ['a', 'unterminated']],
    ['C:\\path', ['C:\\path']],
    ['cost $5', ['cost', '$5']],
  ])('%j', (line, expected) => {
    expect(splitCommandLine(line)).toEqual(expected);
  });
});

describe('parseConmonCmdline', () => {
  it.each<[string, string, ConmonRef | null]>([
    ['real CRI-O conmon line', REAL, full],
    [
      'brief example with short -c',
      `/usr/bin/conmon -b /run/containers/storage/overlay-containers/0123abcd/userdata -c 0123abcd -n k8s_app_mypod_default_${UID}_0 -r /usr/bin/runc -l ${LOG}`,
      { ...full, containerID: '0123abcd' },
    ],
    [
      'long forms with = and space',
      `conmon --cid=${CID} --name k8s_app_mypod_default_${UID}_3 --log-path=${LOG}`,
      { ...full, restartCount: 3 },
    ],
    [
      'quoted arguments (systemd POSIX quoting)',
      `/usr/bin/conmon -c ${CID} -n $'k8s_app_mypod_default_${UID}_0' -l "${LOG}"`,
      full,
    ],
    [
      'log path only gives namespace/pod/uid/container/restart',
      `/usr/libexec/crio/conmon -c ${CID} -l /var/log/pods/kube-system_etcd-node1_0123456789abcdef0123456789abcdef/etcd/2.log`,
      {
        namespace: 'kube-system',
        pod: 'etcd-node1',
        podUID: '0123456789abcdef0123456789abcdef',
        container: 'etcd',
        restartCount: 2,
        containerID: CID,
      },
    ],
    [
      'log path with a driver prefix',
      `conmon -l k8s-file:${LOG}`,
      { namespace: 'default', pod: 'mypod', podUID: UID, container: 'app', restartCount: 0 },
    ],
    [
      'k8s name wins over a disagreeing log path',
      `conmon -n k8s_web_p_ns_${UID}_1 -l /var/log/pods/other_q_${UID}/side/0.log`,
      { container: 'web', pod: 'p', namespace: 'ns', podUID: UID, restartCount: 1 },
    ],
    [
      'pod sandbox (infra) name',
      `conmon -n k8s_POD_mypod_default_${UID}_0`,
      { container: 'POD', pod: 'mypod', namespace: 'default', podUID: UID, restartCount: 0 },
    ],
    [
      'non-k8s -n (podman)',
      `/usr/bin/conmon --api-version 1 -c ${CID} -n web -l k8s-file:/var/lib/containers/storage/overlay-containers/${CID}/userdata/ctr.log`,
      { container: 'web', containerID: CID },
    ],
    [
      'wrong part count (5)',
      `conmon -n k8s_app_mypod_default_${UID}`,
      { container: `k8s_app_mypod_default_${UID}` },
    ],
    [
      'wrong part count (7: underscore in a name)',
      `conmon -n k8s_app_my_pod_default_${UID}_0`,
      { container: `k8s_app_my_pod_default_${UID}_0` },
    ],
    [
      'non-numeric attempt',
      `conmon -n k8s_app_mypod_default_${UID}_x`,
      { container: `k8s_app_mypod_default_${UID}_x` },
    ],
    [
      'empty part',
      `conmon -n k8s__mypod_default_${UID}_0`,
      { container: `k8s__mypod_default_${UID}_0` },
    ],
    [
      'malformed name, but log path supplies the container',
      `conmon -n k8s_bad -l ${LOG}`,
      { namespace: 'default', pod: 'mypod', podUID: UID, container: 'app', restartCount: 0 },
    ],
    ['only -c', `conmon -c ${CID}`, { containerID: CID }],
    [
      'not conmon',
      `/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${CID} -address /run/containerd/containerd.sock`,
      null,
    ],
    ['conmon as a substring of argv[0]', `/usr/bin/conmonx -c ${CID}`, null],
    ['conmon only as a later argument', `/bin/sh -c conmon -c ${CID}`, null],
    ['conmon with nothing useful', '/usr/bin/conmon --version', null],
    ['missing option value', 'conmon -c', null],
    ['log path not under pods layout', 'conmon -l /tmp/x.log', null],
    ['empty', '', null],
  ])('%s', (_label, line, expected) => {
    // toStrictEqual: absent fields must be absent, not present as undefined.
    expect(parseConmonCmdline(line)).toStrictEqual(expected);
  });
});
