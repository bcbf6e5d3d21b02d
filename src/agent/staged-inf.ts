/**
 * A team INF and its catalog on their way to an install: uploaded first (PUT
 * /v1/services/<name>/inf and …/catalog, staged by content as `<digest prefix>\<name>.inf` and
 * `<digest prefix>\<name>.cat`), then named by their SHA-256 in the install request. The install
 * takes their bytes and the uploads go: the install stages its own copies beside the image.
 */
import { readFile } from 'node:fs/promises';
import { AgentRequestError, ErrorCodes } from '../core/errors.ts';
import { imageDigest, stagedFile, unstageImage } from '../target/staging.ts';

export { MAX_CATALOG_BYTES, MAX_INF_BYTES } from '../core/team-inf.ts';

async function takeStaged(
  stagingDir: string,
  service: string,
  sha256: string,
  kind: 'inf' | 'catalog',
): Promise<Buffer> {
  const file = stagedFile(stagingDir, sha256, `${service}.${kind === 'inf' ? 'inf' : 'cat'}`);
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || imageDigest(bytes) !== sha256) {
    const what = kind === 'inf' ? 'INF' : 'catalog';
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      `No ${what} with SHA-256 ${sha256} was uploaded for service "${service}".`,
      `Upload it first: PUT /v1/services/${service}/${kind}?sha256=<its SHA-256>, then install with ${kind}=<that SHA-256>.`,
    );
  }
  await unstageImage(stagingDir, file);
  return bytes;
}

/** The uploaded INF's bytes, as the team wrote them (the install decodes and checks them). */
export function takeStagedInf(stagingDir: string, service: string, sha256: string) {
  return takeStaged(stagingDir, service, sha256, 'inf');
}

/** The uploaded catalog's bytes. */
export function takeStagedCatalog(stagingDir: string, service: string, sha256: string) {
  return takeStaged(stagingDir, service, sha256, 'catalog');
}
