import { describe, expect, it } from '@jest/globals';

import {
  COREDUMP_DEFAULTS,
  coredumpConfFiles,
  effectiveVacuumLimits,
  formatIecSize,
  parseCoredumpConf,
  parseIecSize,
} from './coredump-conf.js';

const G = 2 ** 30;
const M = 2 ** 20;

describe('parseIecSize (systemd parse_size, base 1024)', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['512', 512],
    ['512B', 512],
    ['1K', 1024],
    ['767M', 767 * M],
    ['2G', 2 * G],
    [' 32G ', 32 * G],
    ['1T', 2 ** 40],
    ['1.5G', 1.5 * G],
    ['1G 512M', G + 512 * M],
    ['1 G', G],
    ['', undefined],
    ['-1G', undefined],
    ['1g', undefined], // suffixes are upper case
    ['1GiB', undefined],
    ['abc', undefined],
    ['infinity', undefined],
    ['16E', undefined], // beyond an exact JSON number
  ])('%j -> %s', (text, bytes) => {
    expect(parseIecSize(text)).toBe(bytes);
  });
});

describe('formatIecSize', () => {
  it.each<[number | null, string]>([
    [32 * G, '32G'],
    [1.5 * G, '1.5G'],
    [767 * M, '767M'],
    [512, '512'],
    [null, 'infinity'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatIecSize(bytes)).toBe(text);
  });
});

describe('coredumpConfFiles (which files, in which order)', () => {
  it('no files: nothing to read', () => {
    expect(coredumpConfFiles([{ dir: '/etc/systemd', hasMain: false, dropIns: [] }])).toEqual([]);
  });

  it('the first main file wins; drop-ins sorted by name across directories; /etc masks /run masks /usr/local/lib masks /usr/lib', () => {
    expect(
      coredumpConfFiles([
        { dir: '/etc/systemd', hasMain: false, dropIns: ['50-a.conf', 'notes.txt'] },
        { dir: '/run/systemd', hasMain: true, dropIns: ['50-a.conf', '10-b.conf', '70-c.conf'] },
        { dir: '/usr/local/lib/systemd', hasMain: false, dropIns: ['70-c.conf', '60-d.conf'] },
        { dir: '/usr/lib/systemd', hasMain: true, dropIns: ['60-d.conf', '99-e.conf', 'Z.conf'] },
      ]),
    ).toEqual([
      '/run/systemd/coredump.conf',
      '/run/systemd/coredump.conf.d/10-b.conf',
      '/etc/systemd/coredump.conf.d/50-a.conf',
      '/usr/local/lib/systemd/coredump.conf.d/60-d.conf',
      '/run/systemd/coredump.conf.d/70-c.conf',
      '/usr/lib/systemd/coredump.conf.d/99-e.conf',
      // strcmp order: "Z" (0x5a) sorts before lower case but after digits
      '/usr/lib/systemd/coredump.conf.d/Z.conf',
    ]);
  });
});

describe('parseCoredumpConf', () => {
  it('no files: the compiled-in defaults (64-bit, systemd >= 250)', () => {
    expect(parseCoredumpConf([])).toEqual({
      config: {
        storage: 'external',
        compress: true,
        processSizeMax: 32 * G,
        externalSizeMax: 32 * G,
        journalSizeMax: 767 * M,
      },
      sources: {},
      problems: [],
    });
  });

  it("Debian's template (every line commented) changes nothing", () => {
    const text = `#  This file is part of systemd.
[Coredump]
#Storage=external
#Compress=yes
#ProcessSizeMax=2G
#ExternalSizeMax=2G
#JournalSizeMax=767M
#MaxUse=
#KeepFree=
`;
    const r = parseCoredumpConf([{ path: '/etc/systemd/coredump.conf', text }]);
    expect(r.config).toEqual(COREDUMP_DEFAULTS);
    expect(r.problems).toEqual([]);
  });

  it('later files override earlier ones; sources name the file that set each value', () => {
    const r = parseCoredumpConf([
      {
        path: '/etc/systemd/coredump.conf',
        text: '[Coredump]\nStorage=journal\nExternalSizeMax=1G\nMaxUse=10G\n',
      },
      {
        path: '/run/systemd/coredump.conf.d/50-x.conf',
        text: '; comment\n[Coredump]\n  Storage = external  \nCompress=no\nKeepFree=1.5G\n',
      },
      {
        path: '/usr/lib/systemd/coredump.conf.d/60-y.conf',
        text: '[Coredump]\nExternalSizeMax=infinity\nProcessSizeMax=4G\n',
      },
    ]);
    expect(r.config).toEqual({
      storage: 'external',
      compress: false,
      processSizeMax: 4 * G,
      externalSizeMax: null,
      journalSizeMax: 767 * M,
      maxUse: 10 * G,
      keepFree: 1.5 * G,
    });
    expect(r.sources).toEqual({
      storage: '/run/systemd/coredump.conf.d/50-x.conf',
      compress: '/run/systemd/coredump.conf.d/50-x.conf',
      externalSizeMax: '/usr/lib/systemd/coredump.conf.d/60-y.conf',
      processSizeMax: '/usr/lib/systemd/coredump.conf.d/60-y.conf',
      maxUse: '/etc/systemd/coredump.conf',
      keepFree: '/run/systemd/coredump.conf.d/50-x.conf',
    });
    expect(r.problems).toEqual([]);
  });

  it('only [Coredump] counts; other sections and assignments before any section are ignored', () => {
    const r = parseCoredumpConf([
      {
        path: 'f',
        text: 'Storage=none\n[Journal]\nStorage=none\n[X-Vendor]\nStorage=none\n[Coredump]\nCompress=off\n',
      },
    ]);
    expect(r.config.storage).toBe('external');
    expect(r.config.compress).toBe(false);
    expect(r.problems).toEqual([
      { file: 'f', line: 1, message: 'assignment outside of a section, ignored' },
      { file: 'f', line: 2, message: 'unknown section [Journal], ignored' },
    ]);
  });

  it('an invalid value is ignored with a problem: the value set before it (or the default) stays', () => {
    const r = parseCoredumpConf([
      { path: 'a.conf', text: '[Coredump]\nExternalSizeMax=8G\n' },
      {
        path: 'b.conf',
        text: '[Coredump]\nExternalSizeMax=lots\nStorage=disk\nCompress=maybe\nMaxUse=\nExternalSizeMAX=1G\nbogus line\n',
      },
    ]);
    expect(r.config).toEqual({ ...COREDUMP_DEFAULTS, externalSizeMax: 8 * G });
    expect(r.sources).toEqual({ externalSizeMax: 'a.conf' });
    expect(r.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'b.conf:2: ExternalSizeMax=lots is not a size or "infinity"; ignored',
      'b.conf:3: Storage=disk is not one of none, external, journal; ignored',
      'b.conf:4: Compress=maybe is not a boolean; ignored',
      'b.conf:5: MaxUse= is not a size; ignored',
      'b.conf:6: unknown setting ExternalSizeMAX in [Coredump], ignored',
      `b.conf:7: missing '=' in "bogus line", ignored`,
    ]);
  });

  it('joins backslash continuations and reads CRLF files', () => {
    const r = parseCoredumpConf([
      { path: 'c', text: '[Coredump]\r\nProcessSizeMax=1G \\\r\n 512M\r\nStorage=none\r\n' },
    ]);
    expect(r.config.processSizeMax).toBe(G + 512 * M);
    expect(r.config.storage).toBe('none');
  });
});

describe('effectiveVacuumLimits (coredump-vacuum.c)', () => {
  it('defaults: 10 % (1M..4G) and 15 % (at most 4G) of the filesystem', () => {
    expect(effectiveVacuumLimits({}, 10 * G)).toEqual({ maxUse: 1 * G, keepFree: 1.5 * G });
    expect(effectiveVacuumLimits({}, 100 * G)).toEqual({ maxUse: 4 * G, keepFree: 4 * G });
    expect(effectiveVacuumLimits({}, 4 * M)).toEqual({ maxUse: M, keepFree: 154 * 4096 }); // 629145.6 rounded up to pages
    expect(effectiveVacuumLimits({}, undefined)).toEqual({ maxUse: M, keepFree: M });
  });

  it('configured values win (page aligned); 0 stays 0 (off)', () => {
    expect(effectiveVacuumLimits({ maxUse: 0, keepFree: 1000 }, 100 * G)).toEqual({
      maxUse: 0,
      keepFree: 4096,
    });
  });
});
