/** kubelet's /var/log/pods directory names: `<namespace>_<pod>_<uid>`; container sub-directories are container names. */
export interface PodLogDir {
  namespace: string;
  pod: string;
  podUID: string;
}

// Namespaces are DNS-1123 labels; pod names DNS-1123 subdomains. Neither can contain '_',
// which is what makes kubelet's '_'-joined directory name unambiguous.
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
// kubelet uses the pod's UID as it knows it: the API UID, or a static pod's config hash.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONFIG_HASH = /^[0-9a-f]{32}$/;

/**
 * Parse a directory name under kubelet's `/var/log/pods`.
 *
 * @param name a directory entry name such as `team-a_web-0_0a1b2c3d-…`
 * @returns namespace, pod and UID (dashed UUID, or the 32-hex config hash of a static pod),
 *   or null when the name does not have exactly that shape
 */
export function parsePodLogDirName(name: string): PodLogDir | null {
  if (typeof name !== 'string') return null;
  const parts = name.split('_');
  if (parts.length !== 3) return null;
  const [namespace, pod, podUID] = parts;
  if (!DNS_LABEL.test(namespace)) return null;
  if (pod.length > 253 || !DNS_SUBDOMAIN.test(pod)) return null;
  if (!UUID.test(podUID) && !CONFIG_HASH.test(podUID)) return null;
  return { namespace, pod, podUID };
}
