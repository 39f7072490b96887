/**
 * A small Dockerfile and .dockerignore reader for the image tests (no Docker engine runs here):
 * instructions with continuation lines and comments, stages, COPY sources and destinations,
 * and the build context that .dockerignore leaves.
 */
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';

export interface Instruction {
  /** Upper-case keyword (FROM, RUN, COPY, …). */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  line: number;
  /** Index of the stage (FROM) it belongs to; -1 before the first FROM (global ARGs). */
  stage: number;
}

export interface Stage {
  index: number;
  image: string;
  name?: string;
  /** WORKDIR in effect at each instruction of this stage is tracked by workdirAt(). */
  instructions: Instruction[];
}

export interface Dockerfile {
  instructions: Instruction[];
  stages: Stage[];
  /** Global ARG defaults (before the first FROM). */
  globalArgs: Record<string, string>;
}

/** Parses a Dockerfile (the subset of the syntax BuildKit accepts that this repository uses). */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let line = lines[i++];
    if (/^\s*(#.*)?$/.test(line)) continue;
    // Continuation lines; comment lines inside a continuation are dropped, as Docker does.
    const parts: string[] = [];
    while (/\\\s*$/.test(line)) {
      parts.push(line.replace(/\\\s*$/, ''));
      do line = lines[i++] ?? '';
      while (/^\s*#/.test(line) && i < lines.length);
    }
    parts.push(line);
    const joined = parts
      .map((p) => p.trim())
      .join(' ')
      .trim();
    const m = /^([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(joined)}`);
    const keyword = m[1].toUpperCase();
    const args = m[2];
    if (keyword === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start + 1}: bad FROM ${args}`);
      stages.push({ index: stages.length, image: f[1], name: f[2], instructions: [] });
    }
    const ins: Instruction = { keyword, args, line: start + 1, stage: stages.length - 1 };
    instructions.push(ins);
    if (ins.stage >= 0) stages[ins.stage].instructions.push(ins);
    else if (keyword === 'ARG') {
      const a = /^(\w+)(?:=(.*))?$/.exec(args);
      if (a) globalArgs[a[1]] = a[2] ?? '';
    }
  }
  return { instructions, stages, globalArgs };
}

/** Splits an instruction's arguments: JSON array form or whitespace-separated words. */
export function words(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return t.split(/\s+/).filter(Boolean);
}

export interface Copy {
  line: number;
  stage: number;
  from?: string;
  sources: string[];
  /** Destination as written. */
  dest: string;
  /** Absolute destination (relative ones resolved against the stage's WORKDIR). */
  absDest: string;
  flags: Record<string, string>;
}

/** WORKDIR in effect at an instruction (Docker's default is /). */
function workdirAt(stage: Stage, ins: Instruction): string {
  let wd = '/';
  for (const x of stage.instructions) {
    if (x === ins) break;
    if (x.keyword === 'WORKDIR') wd = posix.resolve(wd, words(x.args)[0]);
  }
  return wd;
}

export function copies(df: Dockerfile): Copy[] {
  return df.stages.flatMap((stage) =>
    stage.instructions
      .filter((x) => x.keyword === 'COPY' || x.keyword === 'ADD')
      .map((x) => {
        const w = words(x.args);
        const flags: Record<string, string> = {};
        while (w[0]?.startsWith('--')) {
          const [k, v] = w.shift()!.slice(2).split('=');
          flags[k] = v ?? 'true';
        }
        const dest = w.pop()!;
        const wd = workdirAt(stage, x);
        const absDest = posix.resolve(wd, dest) + (dest.endsWith('/') ? '/' : '');
        return {
          line: x.line,
          stage: stage.index,
          from: flags.from,
          sources: w,
          dest,
          absDest,
          flags,
        };
      }),
  );
}

/** Stage by name or index (as COPY --from refers to it). */
export function stageByRef(df: Dockerfile, ref: string): Stage | undefined {
  return df.stages.find((s) => s.name === ref || String(s.index) === ref);
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

export interface IgnoreRule {
  negate: boolean;
  pattern: string;
  re: RegExp;
}

/** .dockerignore patterns (Go filepath.Match plus `**`), relative to the context root. */
export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, ''));
      let re = '';
      for (let k = 0; k < pattern.length; k++) {
        const ch = pattern[k];
        if (ch === '*' && pattern[k + 1] === '*') {
          // `**/` matches zero or more directories; a trailing `**` matches everything below.
          if (pattern[k + 2] === '/') {
            re += '(?:.*/)?';
            k += 2;
          } else {
            re += '.*';
            k += 1;
          }
        } else if (ch === '*') re += '[^/]*';
        else if (ch === '?') re += '[^/]';
        else if (ch === '[') {
          const end = pattern.indexOf(']', k);
          re += pattern.slice(k, end + 1).replace(/^\[!/, '[^');
          k = end;
        } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
      }
      return { negate, pattern, re: new RegExp(`^${re}$`) };
    });
}

/**
 * Whether the context path (relative, `/`-separated) is excluded. As Docker does, a pattern that
 * matches a parent directory excludes everything below it, and the last matching rule wins.
 */
function isIgnored(rules: IgnoreRule[], rel: string): boolean {
  const segments = rel.split('/');
  const prefixes = segments.map((_, k) => segments.slice(0, k + 1).join('/'));
  let ignored = false;
  for (const r of rules) {
    if (prefixes.some((p) => r.re.test(p))) ignored = !r.negate;
  }
  return ignored;
}

/** The files (relative paths) a `docker build` of `root` would send as its context. */
export function contextFiles(root: string, rules: IgnoreRule[]): string[] {
  // Without exception rules an excluded directory can be skipped whole.
  const prune = !rules.some((r) => r.negate);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(posix.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (prune && isIgnored(rules, p)) continue;
        walk(p);
      } else if (!isIgnored(rules, p)) {
        out.push(p);
      }
    }
  };
  walk('');
  return out.sort();
}

/** LABEL key="value" pairs of a stage. */
export function labels(stage: Stage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of stage.instructions.filter((i) => i.keyword === 'LABEL')) {
    const re = /([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(x.args))) {
      out[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    }
  }
  return out;
}
