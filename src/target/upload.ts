/** A driver image sent from the runner's disk: hashed, then read as it is sent. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file as a request body that is read as it is sent. */
export async function fileBody(file: string): Promise<FileBody> {
  return {
    stream: Readable.toWeb(createReadStream(file)) as ReadableStream,
    size: (await stat(file)).size,
  };
}

export interface FileBody {
  readonly stream: ReadableStream;
  readonly size: number;
}

export function isFileBody(body: unknown): body is FileBody {
  return typeof body === 'object' && body !== null && 'stream' in body && 'size' in body;
}
