import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** The Merkle roots kept for released versions whose files are final (`version_root`). */
@Injectable()
export class VersionRootRepository extends TransactionalRepository {
  /** The kept roots of those of `versionIds` that have one, by version id. */
  async kept(datasetId: string, versionIds: string[]): Promise<Map<string, string>> {
    if (versionIds.length === 0) return new Map();
    const rows = (await this.manager.query(`SELECT version_id, root FROM version_root WHERE dataset_id = $1 AND version_id = ANY($2::uuid[])`, [datasetId, versionIds])) as {
      version_id: string;
      root: string;
    }[];
    return new Map(rows.map((row) => [row.version_id, row.root]));
  }

  /**
   * Whether the version's files can no longer change: catalog released it (delivery has its
   * event), no upload to it is waiting for catalog's answer, and the files recorded here are as
   * many, with as many bytes, as the catalog released. Catalog refuses a file to a released
   * version, in a transaction that locks the dataset as the release does; an upload's row is
   * committed (unrecorded) before catalog is asked, and recorded or removed after it answers. A
   * file the vendor removed before the release goes when its ObjectUnlisted event is applied,
   * which another consumer may do after the release's: until then the tally disagrees
   * (`disagreement` says how), and nothing is kept.
   */
  async filesFinal(datasetId: string, versionId: string): Promise<{ final: boolean; disagreement: string | null }> {
    const [row] = (await this.manager.query(
      `SELECT r.file_count, r.total_bytes::text AS total_bytes,
              EXISTS (SELECT 1 FROM stored_object WHERE target = 'version-file' AND version_id = $2 AND recorded_at IS NULL) AS uploading,
              t.files, t.bytes::text AS bytes
         FROM released_version r,
              LATERAL (SELECT count(*)::int AS files, coalesce(sum(size), 0) AS bytes FROM stored_object
                        WHERE target = 'version-file' AND version_id = $2 AND recorded_at IS NOT NULL AND r.file_count IS NOT NULL) t
        WHERE r.version_id = $2 AND r.dataset_id = $1`,
      [datasetId, versionId],
    )) as { file_count: number | null; total_bytes: string | null; uploading: boolean; files: number; bytes: string }[];
    if (!row || row.uploading) return { final: false, disagreement: null };
    if (row.file_count === null || (row.file_count === row.files && row.total_bytes === row.bytes)) return { final: true, disagreement: null };
    return { final: false, disagreement: `the catalog released ${row.file_count} files of ${row.total_bytes} bytes; ${row.files} files of ${row.bytes} bytes are recorded here` };
  }

  /**
   * Keeps the root of a version whose files are final, unless one is kept already; answers the
   * root kept, which is the one every replica then serves.
   */
  async keep(datasetId: string, versionId: string, root: string, fileCount: number): Promise<string> {
    const inserted = (await this.transaction.query(
      `INSERT INTO version_root (version_id, dataset_id, root, file_count) VALUES ($1, $2, $3, $4) ON CONFLICT (version_id) DO NOTHING RETURNING root`,
      [versionId, datasetId, root, fileCount],
    )) as { root: string }[];
    if (inserted.length > 0) return inserted[0].root;
    // Another replica kept it first. The insert waited for its commit, so this statement, which
    // reads after that commit (read committed), sees its row.
    const [kept] = (await this.transaction.query(`SELECT root FROM version_root WHERE version_id = $1`, [versionId])) as { root: string }[];
    return kept.root;
  }
}
