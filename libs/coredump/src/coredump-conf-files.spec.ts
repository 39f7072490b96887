import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { readHostCoredumpConf } from './coredump-conf-files.js';

describe('readHostCoredumpConf (files under a host root)', () => {
  let root: string;

  async function put(path: string, text: string): Promise<void> {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'koredump-conf-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('an empty root: the defaults, no files, no problems', async () => {
    const r = await readHostCoredumpConf(join(root, 'nothing'));
    expect(r).toMatchObject({ files: [], problems: [], sources: {} });
    expect(r.config.storage).toBe('external');
  });

  it('a /dev/null symlink in /etc masks the vendor drop-in of the same name', async () => {
    await put('/usr/lib/systemd/coredump.conf.d/50-vendor.conf', '[Coredump]\nStorage=none\n');
    await mkdir(join(root, '/etc/systemd/coredump.conf.d'), { recursive: true });
    await symlink('/dev/null', join(root, '/etc/systemd/coredump.conf.d/50-vendor.conf'));
    const r = await readHostCoredumpConf(root);
    expect(r.files).toEqual(['/etc/systemd/coredump.conf.d/50-vendor.conf']);
    expect(r.config.storage).toBe('external');
  });

  it('a drop-in that cannot be read is a problem, not silently skipped', async () => {
    // (root reads any file whatever its mode: a directory is what cannot be read as one)
    const file = join(root, '/run/systemd/coredump.conf.d/10-secret.conf');
    await mkdir(file, { recursive: true });
    const r = await readHostCoredumpConf(root);
    expect(r.files[0]).toBe('/run/systemd/coredump.conf.d/10-secret.conf');
    expect(r.problems).toEqual([
      {
        file: '/run/systemd/coredump.conf.d/10-secret.conf',
        line: 0,
        message: expect.stringMatching(/^cannot read: EISDIR/),
      },
    ]);
    expect(r.config.storage).toBe('external');
  });
});
