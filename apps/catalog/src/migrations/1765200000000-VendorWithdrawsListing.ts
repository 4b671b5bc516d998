import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A vendor takes its own published listing off sale (`withdrawn`): consent withdrawn by the
 * people recorded, a licensing problem it found itself. Only an operator could before, by
 * suspending it. A withdrawn listing goes back on sale through review (`in_review`).
 */
export class VendorWithdrawsListing1765200000000 implements MigrationInterface {
  readonly name = 'VendorWithdrawsListing1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dataset DROP CONSTRAINT dataset_status_check`);
    await queryRunner.query(`ALTER TABLE dataset ADD CONSTRAINT dataset_status_check CHECK (status IN ('draft', 'in_review', 'published', 'rejected', 'suspended', 'withdrawn'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A withdrawn listing has no status before this migration: going down would have to say it
    // is on sale, or suspended by an operator, and neither is true.
    const [{ count }] = (await queryRunner.query(`SELECT count(*)::int AS count FROM dataset WHERE status = 'withdrawn'`)) as { count: number }[];
    if (count > 0) throw new Error(`${count} listings are withdrawn by their vendors; the statuses before VendorWithdrawsListing1765200000000 cannot say so`);
    await queryRunner.query(`ALTER TABLE dataset DROP CONSTRAINT dataset_status_check`);
    await queryRunner.query(`ALTER TABLE dataset ADD CONSTRAINT dataset_status_check CHECK (status IN ('draft', 'in_review', 'published', 'rejected', 'suspended'))`);
  }
}
