import type { VersionStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { bigintNumber } from '../columns';
import { DatasetVersion } from './dataset-version.entity';
import { VersionFile } from './version-file.entity';

/** Versions and their file manifests, on the unit of work in progress. */
@Injectable()
export class VersionRepository extends TransactionalRepository {
  exists(datasetId: string, version: string): Promise<boolean> {
    return this.manager.existsBy(DatasetVersion, { datasetId, version });
  }

  async insert(version: DatasetVersion): Promise<DatasetVersion> {
    await this.transaction.save(DatasetVersion, version);
    return this.transaction.findOneByOrFail(DatasetVersion, { id: version.id });
  }

  find(datasetId: string, versionId: string): Promise<DatasetVersion | null> {
    return this.manager.findOneBy(DatasetVersion, { id: versionId, datasetId });
  }

  findForUpdate(datasetId: string, versionId: string): Promise<DatasetVersion | null> {
    return this.transaction.findOne(DatasetVersion, { where: { id: versionId, datasetId }, lock: { mode: 'pessimistic_write' } });
  }

  save(version: DatasetVersion): Promise<DatasetVersion> {
    return this.transaction.save(DatasetVersion, version);
  }

  /**
   * The dataset's versions newest first (open ones too when `withOpen`), after the position
   * `after` when given, `limit` at most, each with its stored file count and bytes.
   */
  async page(datasetId: string, withOpen: boolean, after: Position | undefined, limit: number): Promise<DatasetVersion[]> {
    const params: unknown[] = [datasetId, withOpen, limit];
    let where = `v.dataset_id = $1 AND ($2 OR v.status = 'released')`;
    if (after) {
      params.push(after.at, after.id);
      // The cursor holds milliseconds; the column holds microseconds. Compared and ordered at the
      // cursor's precision, a page never repeats or skips a version.
      where += ` AND (date_trunc('milliseconds', v.created_at), v.id) < ($4, $5)`;
    }
    const rows = (await this.manager.query(
      `SELECT v.id, v.dataset_id, v.version, v.changelog, v.status, v.created_at, v.released_at, v.file_count, v.total_bytes
         FROM dataset_version v WHERE ${where}
        ORDER BY date_trunc('milliseconds', v.created_at) DESC, v.id DESC LIMIT $3`,
      params,
    )) as {
      id: string;
      dataset_id: string;
      version: string;
      changelog: string | null;
      status: VersionStatus;
      created_at: Date;
      released_at: Date | null;
      file_count: number;
      total_bytes: string;
    }[];
    return rows.map((row) =>
      Object.assign(new DatasetVersion(), {
        id: row.id,
        datasetId: row.dataset_id,
        version: row.version,
        changelog: row.changelog,
        status: row.status,
        createdAt: row.created_at,
        releasedAt: row.released_at,
        fileCount: row.file_count,
        totalBytes: bigintNumber.from(row.total_bytes) as number,
      }),
    );
  }

  /** The version's files in path order, after the path `after` when given, `limit` at most. */
  async files(versionId: string, limit: number, after?: string): Promise<VersionFile[]> {
    const rows = (await this.manager.query(
      `SELECT path, size, sha256 FROM version_file WHERE version_id = $1 ${after === undefined ? '' : 'AND path > $3'} ORDER BY path LIMIT $2`,
      after === undefined ? [versionId, limit] : [versionId, limit, after],
    )) as { path: string; size: string; sha256: string }[];
    return rows.map((row) => Object.assign(new VersionFile(), { versionId, path: row.path, size: bigintNumber.from(row.size) as number, sha256: row.sha256 }));
  }

  /**
   * A file of the version that cannot sit beside `path` in a buyer's download folder: one that
   * differs from it only in letter case (one file on Windows and macOS disks), or a folder of
   * the other (`audio` and `audio/0001.wav`). The same path is no clash: it replaces the file.
   * Letter case is compared as `lower(upper(...))`: `lower` alone keeps apart names the disks
   * take for one, because some letters have two lower-case forms of one capital (`σ` and final
   * `ς` of `Σ`, `s` and the long `ſ` of `S`, `μ` and the micro sign `µ` of `Μ`, `i` and the
   * dotless `ı` of `I`); through the capital they meet. `İ` and `i` stay one name, as before.
   * Each of the three is a range of `version_file_path_fold_idx` (paths folded so, in byte
   * order; migration 1765300002000): the path itself, each of its folders, and the paths inside
   * it (from `p/` up to, not including, `p0`: `0` follows `/` in bytes).
   */
  async collidingPath(versionId: string, path: string): Promise<string | null> {
    const rows = (await this.manager.query(
      `WITH asked AS (SELECT lower(upper($2)) COLLATE "C" AS folded, string_to_array(lower(upper($2)), '/') AS parts)
       SELECT f.path FROM version_file f, asked
       WHERE f.version_id = $1 AND f.path <> $2
         AND (lower(upper(f.path)) COLLATE "C" = asked.folded
              OR lower(upper(f.path)) COLLATE "C" = ANY (ARRAY(SELECT array_to_string(asked.parts[1:n], '/') FROM generate_series(1, cardinality(asked.parts) - 1) AS n))
              OR (lower(upper(f.path)) COLLATE "C" >= asked.folded || '/' AND lower(upper(f.path)) COLLATE "C" < asked.folded || '0'))
       ORDER BY f.path LIMIT 1`,
      [versionId, path],
    )) as { path: string }[];
    return rows[0]?.path ?? null;
  }

  /**
   * Adds a file to the manifest, or replaces the entry of the same path; the version's file count
   * and bytes follow in the same statement (the triggers of migration 1764500008000).
   */
  async putFile(file: Pick<VersionFile, 'versionId' | 'path' | 'size' | 'sha256' | 'storageKey'>): Promise<void> {
    await this.transaction.upsert(VersionFile, file, { conflictPaths: ['versionId', 'path'] });
  }

  /**
   * Removes the version's file at `path` and answers the key its bytes are stored under, or null
   * when the version has no such file; the version's file count and bytes follow in the same
   * statement (the triggers of migration 1764500008000).
   */
  async removeFile(versionId: string, path: string): Promise<string | null> {
    const rows = (await this.transaction.query(`WITH gone AS (DELETE FROM version_file WHERE version_id = $1 AND path = $2 RETURNING storage_key) SELECT storage_key FROM gone`, [
      versionId,
      path,
    ])) as { storage_key: string }[];
    return rows[0]?.storage_key ?? null;
  }

  /** The size of the version's file at `path`, or 0 when it has none. */
  async sizeAt(versionId: string, path: string): Promise<number> {
    const file = await this.manager.findOneBy(VersionFile, { versionId, path });
    return file?.size ?? 0;
  }

  async releasedIds(datasetId: string): Promise<string[]> {
    const rows = (await this.manager.query(`SELECT id FROM dataset_version WHERE dataset_id = $1 AND status = 'released' ORDER BY released_at, id`, [datasetId])) as {
      id: string;
    }[];
    return rows.map((r) => r.id);
  }
}
