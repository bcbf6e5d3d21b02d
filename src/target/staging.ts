/**
 * Driver images on the target: stored by content under <stagingDir>\<sha256 prefix>\<file name>,
 * so two versions never collide and an identical image is reused (writing over a loaded driver's
 * image fails on Windows). Staging cannot be redirected: the staging root must be a real folder,
 * every folder below it too (no symbolic link, junction or other reparse point), a new file is
 * written exclusively beside its place and linked into it (never replacing a file), and the
 * checks run again once it is placed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, realpath, rm, rmdir } from 'node:fs/promises';
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

/** A test seam: runs after the last check and before the image is placed (tests plant a link there). */
export type BeforePlace = (target: string) => Promise<void> | void;

/**
 * An image arriving as a stream (an upload, or bytes already in memory): written to a temporary file in the staging root while
 * it is hashed and counted (memory stays bounded whatever its size or the number of uploads), its
 * SHA-256 checked against what the sender announced, then placed by content like any image.
 *
 * Placing never replaces a file: the image gets its name by a hard link (which fails when the
 * name exists, link or file), not a rename (which replaces whatever the name leads to). A folder
 * swapped for a link between the checks and the placing cannot make it overwrite a file elsewhere,
 * say a system driver; the checks run again after the placing, and an image that did not land in
 * the staging folder is refused (and left where it landed: removing it by name could hit another
 * file by then). An image already there is read through one handle, opened without following a
 * link where the platform can (O_NOFOLLOW), and checked to be the file at its place afterwards.
 */
export async function stageStream(
  stagingDir: string,
  fileName: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: { sha256?: string | undefined; maxBytes: number; beforePlace?: BeforePlace },
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
    await mkdir(dir, { recursive: true });
    await assertRealFolders(stagingDir, dir);
    await expected.beforePlace?.(target);
    try {
      await link(temporary, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Already there (an identical image staged before, or something planted): reuse or refuse.
      await assertSameImage(target, digest);
    }
    await assertPlaced(stagingDir, target);
    return target;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** O_NOFOLLOW where the platform has it (not Windows: there the checks after the read decide). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** The file at `target` has the SHA-256 `digest`: read through one handle that follows no link. */
async function assertSameImage(target: string, digest: string): Promise<void> {
  const before = await lstat(target, { bigint: true });
  if (before.isSymbolicLink()) throw redirected(`${target} is a link`);
  if (!before.isFile()) throw redirected(`${target} is not a file`);
  let handle;
  try {
    handle = await open(target, constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw redirected(`${target} is a link`);
    throw error;
  }
  try {
    const found = createHash('sha256')
      .update(await handle.readFile())
      .digest('hex');
    const read = await handle.stat({ bigint: true });
    const after = await lstat(target, { bigint: true });
    if (after.isSymbolicLink() || read.ino !== after.ino || read.dev !== after.dev)
      throw redirected(`${target} was replaced while it was read`);
    if (found !== digest)
      throw new DrvcycleError(
        ErrorCodes.PATH_NOT_ALLOWED,
        `Refusing to stage a driver image: ${target} is there with other content (SHA-256 ${found}, not ${digest}).`,
        {
          hint: 'Staged images are named by their content and never overwritten: something else wrote that file. Remove it (and find out who did), then send the image again.',
        },
      );
  } finally {
    await handle.close();
  }
}

/** After placing: the folders are still real, and `target` is a file inside the real staging root. */
async function assertPlaced(stagingDir: string, target: string): Promise<void> {
  const info = await lstat(target);
  if (!info.isFile()) throw redirected(`${target} is not a file after placing it`);
  const root = await realpath(stagingDir);
  const real = await realpath(target);
  const wanted = path.join(root, path.relative(path.resolve(stagingDir), path.resolve(target)));
  if (!same(real, wanted))
    throw redirected(
      `the image placed at ${target} landed in ${real} (a folder was swapped for a link while it was placed; it was left there)`,
    );
  await assertRealFolders(stagingDir, path.dirname(target));
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

/** Removes a staged image no service uses any more, and its folder when that is empty; never a file a link leads to. */
export async function unstageImage(stagingDir: string, binaryPath: string): Promise<void> {
  const relative = path.relative(path.resolve(stagingDir), path.resolve(binaryPath));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return;
  const info = await lstat(binaryPath).catch(() => undefined);
  if (!info?.isFile()) return;
  // Only a file that is in the real staging folder: a folder swapped for a link would lead the
  // removal to a file elsewhere (a system driver of the same name).
  const inside = await assertPlaced(stagingDir, binaryPath).then(
    () => true,
    () => false,
  );
  if (!inside) return;
  // A driver still mapped (Windows: sharing violation) keeps its file; the next run reuses it.
  await rm(binaryPath).catch(() => undefined);
  await rmdir(path.dirname(binaryPath)).catch(() => undefined);
}
