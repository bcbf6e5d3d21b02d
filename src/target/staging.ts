/**
 * Driver images on the target: stored by content under <stagingDir>\<sha256 prefix>\<file name>,
 * so two versions never collide and an identical image is reused (writing over a loaded driver's
 * image fails on Windows). A new file is written beside its place and renamed into it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function imageDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function stageImage(
  stagingDir: string,
  fileName: string,
  bytes: Uint8Array,
): Promise<string> {
  const dir = path.win32.join(stagingDir, imageDigest(bytes).slice(0, 16));
  const target = path.win32.join(dir, fileName);
  const existing = await readFile(target).catch(() => undefined);
  if (existing && Buffer.compare(existing, bytes) === 0) return target;
  await mkdir(dir, { recursive: true });
  const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
  return target;
}
