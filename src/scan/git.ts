/**
 * Reading a git repository's object store without a checkout: one long-lived
 * `git cat-file --batch-command` process (or the --batch-check / --batch pair on git < 2.36)
 * answers "which blob is rev:path" (info) and "give me this blob" (contents), and `git log`
 * lists the revisions of a range.
 */
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { badInput, envMissing, PeerpropError, ExitCode } from '../core/errors.ts';

export interface ObjectInfo {
  oid: string;
  type: string;
  size: number;
}

export interface ObjectContents extends ObjectInfo {
  data: Buffer;
}

interface Pending {
  kind: 'info' | 'contents';
  spec: string;
  resolve: (v: ObjectInfo | ObjectContents | null) => void;
  reject: (e: Error) => void;
}

/** Runs git and returns stdout; git missing => exit 3, git failing => exit 2 with git's first error line. */
export function runGit(repo: string, args: string[], maxBuffer = 256 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', repo, ...args], { maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return reject(envMissing('git not found in PATH (needed for --git)'));
      const line = (stderr || e.message).split('\n').find((l) => l.trim() !== '') ?? 'failed';
      // Name the git subcommand, skipping `-c key=value` options.
      const sub = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? 'git';
      reject(badInput(`git ${sub}: ${line.replace(/^(fatal|error):\s*/, '')}`, { file: repo }));
    });
  });
}

/** Checks that git exists and that `repo` is a git repository (work tree or bare). */
export async function assertGitRepo(repo: string): Promise<void> {
  const st = await stat(repo).catch(() => undefined);
  if (!st?.isDirectory()) throw badInput('not a directory', { file: repo });
  const out = await runGit(repo, ['rev-parse', '--git-dir']).catch((e: unknown) => {
    if (e instanceof PeerpropError && e.exitCode === ExitCode.EnvMissing) throw e;
    throw badInput('not a git repository', { file: repo });
  });
  if (out.trim() === '') throw badInput('not a git repository', { file: repo });
}

/** A commit of a listed range. */
export interface Revision {
  oid: string;
  subject: string;
}

/**
 * The commits of a range, oldest first. `A..B` (or any rev-list range syntax) lists the range;
 * a single revision lists just that commit.
 */
export async function listRevisions(repo: string, range: string, opts: { firstParent?: boolean; paths?: readonly string[] } = {}): Promise<Revision[]> {
  if (range.trim().split(/\s+/).some((p) => p.startsWith('-'))) throw badInput(`revision range must not start with '-': ${range}`);
  // A..B, A...B, ^A B, A^! and A^@ are ranges; HEAD^ or v3.0~2 name one commit.
  const isRange = range.includes('..') || range.startsWith('^') || /\^[!@-]/.test(range) || /\s/.test(range.trim());
  const args = ['-c', 'log.showSignature=false', 'log', '--no-color', '--format=%H%x1f%s'];
  if (opts.firstParent) args.push('--first-parent');
  if (isRange) args.push('--reverse', ...range.trim().split(/\s+/));
  else args.push('-1', range);
  // Path limits as `git log A..B -- PATH...` takes them: only commits that changed those paths.
  args.push('--', ...(opts.paths ?? []));
  const out = await runGit(repo, args);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const i = l.indexOf('\x1f');
      return { oid: l.slice(0, i), subject: l.slice(i + 1) };
    });
}

/** Resolves a revision to its full commit id (exit 2 when it does not name a commit). */
export async function resolveCommit(repo: string, rev: string): Promise<string> {
  if (rev.startsWith('-')) throw badInput(`revision must not start with '-': ${rev}`);
  const out = await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() => '');
  const oid = out.trim();
  if (!/^[0-9a-f]{40,64}$/.test(oid)) throw badInput(`unknown revision: ${rev}`, { file: repo });
  return oid;
}

/** git's version as [major, minor], or undefined when it cannot be read. */
let versionCache: Promise<[number, number] | undefined> | undefined;
export function gitVersion(): Promise<[number, number] | undefined> {
  versionCache ??= new Promise((resolve) => {
    execFile('git', ['version'], { encoding: 'utf8' }, (err, out) => {
      const m = /git version (\d+)\.(\d+)/.exec(out ?? '');
      resolve(err || !m ? undefined : [Number(m[1]), Number(m[2])]);
    });
  });
  return versionCache;
}

/**
 * One `git cat-file` process in a batch mode. Requests are written one per line and answered
 * in order, so a FIFO of pending requests pairs answers with questions.
 */
class BatchChannel {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: Error | undefined;
  private closed = false;

  constructor(
    repo: string,
    mode: '--batch-command' | '--batch-check' | '--batch',
  ) {
    this.proc = spawn('git', ['-C', repo, 'cat-file', mode], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    this.proc.stdout.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      this.drain();
    });
    this.proc.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(err.code === 'ENOENT' ? envMissing('git not found in PATH (needed for --git)') : err);
    });
    this.proc.on('close', (code) => {
      if (this.pending.length > 0) {
        const line = stderr.split('\n').find((l) => l.trim() !== '') ?? `exited with code ${code}`;
        this.fail(badInput(`git cat-file: ${line.replace(/^fatal:\s*/, '')}`, { file: repo }));
      }
    });
    this.proc.stdin.on('error', () => {
      /* reported through 'close' */
    });
  }

  request(kind: 'info' | 'contents', spec: string, line: string): Promise<ObjectInfo | ObjectContents | null> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('object reader closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, spec, resolve, reject });
      this.proc.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.proc.stdin.end();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  private peek(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(n: number): void {
    const rest = this.peek().subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  /** Pairs complete answers in the buffer with the oldest pending requests. */
  private drain(): void {
    while (this.pending.length > 0 && this.buffered > 0) {
      const buf = this.peek();
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      const header = buf.subarray(0, nl).toString('utf8');
      const req = this.pending[0]!;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.consume(nl + 1);
        this.pending.shift();
        req.resolve(null);
        continue;
      }
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
      if (!m) {
        this.fail(new Error(`git cat-file: unexpected answer ${JSON.stringify(header)} to ${req.kind} ${req.spec}`));
        return;
      }
      const info: ObjectInfo = { oid: m[1]!, type: m[2]!, size: Number(m[3]) };
      if (req.kind === 'info') {
        this.consume(nl + 1);
        this.pending.shift();
        req.resolve(info);
        continue;
      }
      // contents: header, <size> bytes, then a newline.
      const end = nl + 1 + info.size + 1;
      if (buf.length < end) return;
      const data = Buffer.from(buf.subarray(nl + 1, nl + 1 + info.size));
      this.consume(end);
      this.pending.shift();
      req.resolve({ ...info, data });
    }
  }
}

/**
 * Reads objects without a checkout: one long-lived `git cat-file --batch-command` (git 2.36+)
 * answers both `info` and `contents`; older git gets the classic pair, `--batch-check` for
 * info and `--batch` for contents.
 */
export class ObjectReader {
  private constructor(
    private readonly info_: BatchChannel,
    private readonly contents_: BatchChannel,
    readonly mode: 'batch-command' | 'batch-pair',
  ) {}

  static async open(repo: string, opts: { mode?: 'batch-command' | 'batch-pair' } = {}): Promise<ObjectReader> {
    const v = await gitVersion();
    const mode = opts.mode ?? (v && (v[0] > 2 || (v[0] === 2 && v[1] >= 36)) ? 'batch-command' : 'batch-pair');
    if (mode === 'batch-command') {
      const ch = new BatchChannel(repo, '--batch-command');
      return new ObjectReader(ch, ch, mode);
    }
    return new ObjectReader(new BatchChannel(repo, '--batch-check'), new BatchChannel(repo, '--batch'), mode);
  }

  /** The blob/tree/commit id and size of `spec` (e.g. `<commit>:net/ipv4/route.c`), or null when missing. */
  info(spec: string): Promise<ObjectInfo | null> {
    if (/[\n\r]/.test(spec)) return Promise.reject(badInput(`object name contains a newline: ${JSON.stringify(spec)}`));
    return this.info_.request('info', spec, this.mode === 'batch-command' ? `info ${spec}` : spec) as Promise<ObjectInfo | null>;
  }

  /** The object's bytes, or null when missing. */
  contents(spec: string): Promise<ObjectContents | null> {
    if (/[\n\r]/.test(spec)) return Promise.reject(badInput(`object name contains a newline: ${JSON.stringify(spec)}`));
    return this.contents_.request('contents', spec, this.mode === 'batch-command' ? `contents ${spec}` : spec) as Promise<ObjectContents | null>;
  }

  /** Ends the git process(es) (idempotent). */
  close(): void {
    this.info_.close();
    this.contents_.close();
  }
}
