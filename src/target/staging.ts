/**
 * Driver images on the target: stored by content under <stagingDir>\<sha256 prefix>\<file name>,
 * so two versions never collide and an identical image is reused (writing over a loaded driver's
 * image fails on Windows). Staging cannot be redirected: the staging root must be a real folder,
 * every folder below it too (no symbolic link, junction or other reparse point), a new file is
 * written exclusively beside its place and renamed into it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, realpath, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export function imageDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Where a file with that SHA-256 is staged: `<stagingDir>\<sha256 prefix>\<file name>`. */
export function stagedFile(stagingDir: string, sha256: string, fileName: string): string {
  return path.join(stagingDir, sha256.slice(0, 16), fileName);
}

function redirected(what: string): DrvcycleError {
  return new DrvcycleError(
    ErrorCodes.PATH_NOT_ALLOWED,
    `Refusing to stage a driver image: ${what}.`,
    {
      hint: 'Something placed a link in the staging folder. Remove it (and find out who did), or start the agent with another --staging-dir.',
    },
  );
}

const same = (a: string, b: string) =>
  process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** The root and every existing folder from it down to `dir` are real folders, not links. */
async function assertRealFolders(root: string, dir: string): Promise<void> {
  const real = await realpath(root).catch(() => undefined);
  if (real && !same(real, path.resolve(root)))
    throw redirected(`the staging folder ${root} leads to ${real}`);
  let current = path.resolve(root);
  for (const part of ['', ...path.relative(root, dir).split(path.sep).filter(Boolean)]) {
    if (part === '..') throw redirected(`${dir} is outside ${root}`);
    current = part ? path.join(current, part) : current;
    const info = await lstat(current).catch(() => undefined);
    if (!info) return;
    if (info.isSymbolicLink()) throw redirected(`${current} is a link`);
    if (!info.isDirectory()) throw redirected(`${current} is not a folder`);
  }
}

export function stageImage(
  stagingDir: string,
  fileName: string,
  bytes: Uint8Array,
): Promise<string> {
  return stageStream(stagingDir, fileName, [bytes], { maxBytes: Number.POSITIVE_INFINITY });
}

/**
 * An image arriving as a stream (an upload, or bytes already in memory): written to a temporary file in the staging root while
 * it is hashed and counted (memory stays bounded whatever its size or the number of uploads), its
 * SHA-256 checked against what the sender announced, then placed by content like any image.
 */
export async function stageStream(
  stagingDir: string,
  fileName: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: { sha256?: string | undefined; maxBytes: number },
): Promise<string> {
  await mkdir(stagingDir, { recursive: true });
  await assertRealFolders(stagingDir, stagingDir);
  const temporary = path.join(stagingDir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const file = await open(temporary, 'wx');
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > expected.maxBytes) throw new UploadError('too-large', size);
        hash.update(chunk);
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
    const digest = hash.digest('hex');
    if (expected.sha256 && expected.sha256.toLowerCase() !== digest)
      throw new UploadError('damaged', size, digest);
    const target = stagedFile(stagingDir, digest, fileName);
    const dir = path.dirname(target);
    await assertRealFolders(stagingDir, dir);
    const present = await lstat(target).catch(() => undefined);
    if (present?.isSymbolicLink()) throw redirected(`${target} is a link`);
    if (present?.isFile() && imageDigest(await readFile(target)) === digest) return target;
    await mkdir(dir, { recursive: true });
    await assertRealFolders(stagingDir, dir);
    await rename(temporary, target);
    return target;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** An upload that cannot be staged: over the size limit, or not the bytes the sender hashed. */
export class UploadError extends Error {
  readonly why: 'too-large' | 'damaged';
  readonly size: number;
  readonly digest: string | undefined;
  constructor(why: 'too-large' | 'damaged', size: number, digest?: string) {
    super(
      why === 'too-large'
        ? `upload over the limit after ${size} bytes`
        : `upload damaged: sha256 ${digest}`,
    );
    this.why = why;
    this.size = size;
    this.digest = digest;
  }
}

/** Removes a staged image no service uses any more, and its folder when that is empty. */
export async function unstageImage(stagingDir: string, binaryPath: string): Promise<void> {
  const relative = path.relative(path.resolve(stagingDir), path.resolve(binaryPath));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return;
  const info = await lstat(binaryPath).catch(() => undefined);
  if (!info?.isFile()) return;
  // A driver still mapped (Windows: sharing violation) keeps its file; the next run reuses it.
  await rm(binaryPath).catch(() => undefined);
  await rmdir(path.dirname(binaryPath)).catch(() => undefined);
}
