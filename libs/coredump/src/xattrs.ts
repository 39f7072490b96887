import { getAttribute, listAttributes } from 'fs-xattr';

const PREFIX = 'user.coredump.';

/**
 * The `user.coredump.*` extended attributes systemd-coredump puts on each core (comm, exe, pid,
 * uid, gid, signal, timestamp, rlimit, hostname), as `COREDUMP_<NAME>` strings. They are the
 * fallback metadata when the journal entry is gone or not written yet. Never throws: a file
 * without xattrs (or a filesystem without them) gives `{}`.
 */
export async function readCoredumpXattrs(path: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = await listAttributes(path);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    try {
      const value = await getAttribute(path, name);
      out[`COREDUMP_${name.slice(PREFIX.length).toUpperCase()}`] = value.toString('utf8');
    } catch {
      // attribute removed meanwhile: skip it
    }
  }
  return out;
}
