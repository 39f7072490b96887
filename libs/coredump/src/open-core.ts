import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { isCoreFileName } from './core-file-name.js';

/** Longest file name Linux allows; anything longer cannot be a core. */
export const MAX_CORE_ID_LENGTH = 255;

/** True when `id` is shaped like a core file name we could have indexed (no path, no NUL). */
export function isValidCoreId(id: string): boolean {
  return (
    id.length > 0 &&
    id.length <= MAX_CORE_ID_LENGTH &&
    !id.includes('/') &&
    !id.includes('\0') &&
    id !== '.' &&
    id !== '..' &&
    isCoreFileName(id)
  );
}

export interface OpenedCore {
  handle: FileHandle;
  size: number;
  mtime: Date;
  ino: number;
}

/**
 * Opens a core for reading, refusing anything that is not a regular file directly inside `dir`.
 * O_NOFOLLOW makes a symlink swapped in after indexing fail the open instead of being followed.
 */
export async function openCoreFile(dir: string, id: string): Promise<OpenedCore | undefined> {
  if (!isValidCoreId(id)) return undefined;
  let handle: FileHandle;
  try {
    handle = await open(
      join(dir, id),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (err) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) {
      return undefined;
    }
    throw err;
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    return undefined;
  }
  return { handle, size: st.size, mtime: st.mtime, ino: st.ino };
}
