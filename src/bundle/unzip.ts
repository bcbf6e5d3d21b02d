/** Unpacks a zip (the agent bundle) into a folder, refusing entries that would land outside it. */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type yauzl from 'yauzl';

export async function unzipTo(zipFile: string, into: string): Promise<string[]> {
  // Loaded when a zip is opened: a run that only reads the bundle's folder does without it.
  const { default: zipReader } = await import('yauzl');
  const zip = await zipReader.openPromise(zipFile, { lazyEntries: true });
  const root = path.resolve(into);
  const written: string[] = [];
  try {
    const entries = (zip as unknown as { eachEntry(): AsyncIterable<yauzl.Entry> }).eachEntry();
    for await (const entry of entries) {
      const target = path.resolve(root, entry.fileName);
      if (!target.startsWith(`${root}${path.sep}`))
        throw new Error(`${zipFile}: the entry ${entry.fileName} would land outside ${root}.`);
      if (entry.fileName.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(path.dirname(target), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target));
      written.push(entry.fileName);
    }
  } finally {
    zip.close();
  }
  return written;
}
