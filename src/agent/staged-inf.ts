/**
 * A team INF on its way to an install: uploaded first (PUT /v1/services/<name>/inf, staged by
 * content as `<digest prefix>\<name>.inf`), then named by its SHA-256 in the install request.
 * The install takes its text and the upload goes: the installed copy is the one drvcycle writes.
 */
import { readFile } from 'node:fs/promises';
import { AgentRequestError, ErrorCodes } from '../core/errors.ts';
import { imageDigest, stagedFile, unstageImage } from '../target/staging.ts';
import { decodeInf } from '../core/team-inf.ts';

export { MAX_INF_BYTES } from '../core/team-inf.ts';

export async function takeStagedInf(
  stagingDir: string,
  service: string,
  sha256: string,
): Promise<string> {
  const file = stagedFile(stagingDir, sha256, `${service}.inf`);
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || imageDigest(bytes) !== sha256) {
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      `No INF with SHA-256 ${sha256} was uploaded for service "${service}".`,
      `Upload it first: PUT /v1/services/${service}/inf?sha256=<its SHA-256>, then install with inf=<that SHA-256>.`,
    );
  }
  await unstageImage(stagingDir, file);
  return decodeInf(bytes);
}
