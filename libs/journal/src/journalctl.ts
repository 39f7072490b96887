import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import { parseJournalJsonLine, type ParsedJournalEntry } from './parse-journal-json.js';

/** MESSAGE_ID of the entry systemd-coredump writes for every crash. */
export const COREDUMP_MESSAGE_ID = 'fc2e22bc6ee647b6b90729ab34a250b1';

/** Where journalctl reads from: the host's journal (default) or a directory of journal files (`-D`). */
export interface JournalSource {
  /** Directory of `.journal` files, as `journalctl -D`; undefined reads the local machine's journal. */
  directory?: string;
  /** journalctl binary; overridable for tests. */
  journalctlPath?: string;
}

function baseArgs(source: JournalSource, outputFields?: readonly string[]): string[] {
  // --all: values over 4096 bytes would otherwise be printed as null.
  // --merge: every journal file, all boots. Without it --follow limits itself to the current boot
  // and fails outright ("No such boot ID") on a journal that has no entry yet.
  const args = ['--no-pager', '--quiet', '--output=json', '--all', '--merge'];
  if (source.directory) args.push(`--directory=${source.directory}`);
  if (outputFields) args.push(`--output-fields=${outputFields.join(',')}`);
  return args;
}

function spawnJournalctl(
  source: JournalSource,
  args: string[],
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(source.journalctlPath ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function collect(
  source: JournalSource,
  args: string[],
  onEntry: (entry: ParsedJournalEntry) => void,
): Promise<void> {
  const child = spawnJournalctl(source, args);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line) onEntry(parseJournalJsonLine(line));
  }
  const code = await exited;
  // Some journalctl versions exit 1 on an empty match without a message; a real failure says why.
  if (code !== 0 && (code !== 1 || stderr.trim())) {
    throw new Error(`journalctl exited with ${code}: ${stderr.trim() || 'no output'}`);
  }
}

/**
 * Reads every coredump entry currently in the journal, oldest first, restricted to `outputFields`,
 * handing each to `onEntry` as it is parsed (so the caller can work while journalctl still reads).
 * Resolves with the cursor of the last entry.
 */
export async function readCoredumpEntries(
  source: JournalSource,
  outputFields: readonly string[] | undefined,
  onEntry: (entry: ParsedJournalEntry) => void,
): Promise<string | undefined> {
  let cursor: string | undefined;
  await collect(
    source,
    [...baseArgs(source, outputFields), `MESSAGE_ID=${COREDUMP_MESSAGE_ID}`],
    (entry) => {
      cursor = entry.cursor ?? cursor;
      onEntry(entry);
    },
  );
  return cursor;
}

/**
 * Reads the newest complete coredump entry (all fields) for one core file path as systemd-coredump
 * recorded it in COREDUMP_FILENAME. The journal's field index makes this a cheap lookup.
 */
export async function readCoredumpEntryForFile(
  source: JournalSource,
  coredumpFilename: string,
): Promise<ParsedJournalEntry | undefined> {
  let last: ParsedJournalEntry | undefined;
  await collect(
    source,
    [
      ...baseArgs(source),
      `MESSAGE_ID=${COREDUMP_MESSAGE_ID}`,
      `COREDUMP_FILENAME=${coredumpFilename}`,
    ],
    (e) => (last = e),
  );
  return last;
}

export interface JournalFollowerEvents {
  entry: [ParsedJournalEntry];
  error: [Error];
}

/**
 * Follows new coredump entries (`journalctl --follow`), starting after `afterCursor` so that nothing
 * written between the initial read and the start of the follower is lost. Restarts journalctl with
 * backoff if it dies, resuming from the last cursor it delivered.
 */
export class CoredumpJournalFollower extends EventEmitter<JournalFollowerEvents> {
  private child?: ChildProcessByStdio<null, Readable, Readable>;
  private cursor?: string;
  private stopped = true;
  private restartTimer?: NodeJS.Timeout;
  private restartDelayMs = 200;

  constructor(
    private readonly source: JournalSource,
    private readonly outputFields: readonly string[],
  ) {
    super();
  }

  /** True while a journalctl follower process is running. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && !this.stopped;
  }

  start(afterCursor?: string): void {
    this.cursor = afterCursor;
    this.stopped = false;
    this.spawn();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  private spawn(): void {
    const args = [...baseArgs(this.source, this.outputFields), '--follow'];
    // Without a cursor, --no-tail replays everything (cheap: the initial read found nothing or failed).
    args.push(this.cursor ? `--after-cursor=${this.cursor}` : '--no-tail');
    args.push(`MESSAGE_ID=${COREDUMP_MESSAGE_ID}`);
    const child = spawnJournalctl(this.source, args);
    this.child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      if (!line) return;
      try {
        const entry = parseJournalJsonLine(line);
        if (entry.cursor) this.cursor = entry.cursor;
        this.restartDelayMs = 200;
        this.emit('entry', entry);
      } catch (err) {
        this.emit('error', err as Error);
      }
    });
    child.once('error', (err) => this.emit('error', err));
    child.once('close', (code) => {
      if (this.child !== child || this.stopped) return;
      this.emit('error', new Error(`journalctl --follow exited with ${code}: ${stderr.trim()}`));
      this.child = undefined;
      this.restartTimer = setTimeout(() => this.spawn(), this.restartDelayMs);
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 10_000);
    });
  }
}
