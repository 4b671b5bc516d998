import { Injectable, Logger } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { RequestContext } from '@trove/platform';
import { EntitlementRepository } from '../entitlements/entitlement.repository';
import { MerkleBuilder } from './merkle';
import { VersionRootRepository } from './version-root.repository';

/** Files read per query while a root is computed: a few MB at most in memory at once. */
const ROOT_FILES_PER_READ = 10_000;

/**
 * The Merkle root of each version a manifest lists. A released version's files are frozen, so
 * its root is computed once, from its files read in manifest order a batch at a time, and kept
 * in `version_root`; every later manifest reads the kept root instead of every file (500,000
 * for a 1,000-hour speech corpus). A version whose files can still change (not released, or an
 * upload to it waiting for catalog's answer) gets its root computed for each manifest and never
 * kept. Signing stays per manifest, since signing keys rotate.
 */
@Injectable()
export class VersionRoots {
  private readonly logger = new Logger('VersionRoots');
  /** Roots being computed in this process: manifests asked at once for a new version share one computation. */
  private readonly computing = new Map<string, Promise<string>>();

  constructor(
    private readonly roots: VersionRootRepository,
    private readonly files: EntitlementRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The root of each of the dataset's versions, by version id. */
  async of(datasetId: string, versionIds: string[]): Promise<Map<string, string>> {
    const roots = await this.unitOfWork.read(() => this.roots.kept(datasetId, versionIds));
    for (const versionId of versionIds) {
      if (!roots.has(versionId)) roots.set(versionId, await this.computeOnce(datasetId, versionId));
    }
    return roots;
  }

  private computeOnce(datasetId: string, versionId: string): Promise<string> {
    const key = `${datasetId}/${versionId}`;
    let computation = this.computing.get(key);
    if (!computation) {
      computation = this.compute(datasetId, versionId).finally(() => this.computing.delete(key));
      this.computing.set(key, computation);
    }
    return computation;
  }

  private async compute(datasetId: string, versionId: string): Promise<string> {
    const started = Date.now();
    // Asked before the files are read: once final, the files read next are the version's for good.
    const { final, disagreement } = await this.unitOfWork.read(() => this.roots.filesFinal(datasetId, versionId));
    // Normally for the milliseconds until a removal reaches delivery; for longer, a stored object the catalog no longer lists.
    if (disagreement) this.logger.warn({ datasetId, versionId }, `released version's root not kept yet: ${disagreement}`);
    const builder = new MerkleBuilder();
    for (let after: string | null = null; ; ) {
      const files = await this.unitOfWork.read(() => this.files.filesAfter(datasetId, versionId, after, ROOT_FILES_PER_READ));
      for (const file of files) builder.add(file);
      if (files.length < ROOT_FILES_PER_READ) break;
      after = files[files.length - 1].path;
    }
    const root = builder.root();
    if (!final) return root;
    // Kept even when the manifest that asked has stopped waiting (the root of a very large version
    // can take longer than a request), so the next manifest finds it.
    const kept = await RequestContext.run({ correlationId: RequestContext.correlationId() }, () =>
      this.unitOfWork.run(() => this.roots.keep(datasetId, versionId, root, builder.files)),
    );
    if (kept !== root) this.logger.error(`version ${versionId} of dataset ${datasetId}: kept root ${kept} differs from ${root}, computed from its final files`);
    else this.logger.log(`root of version ${versionId} of dataset ${datasetId} kept: ${builder.files} files in ${Date.now() - started} ms`);
    return kept;
  }
}
