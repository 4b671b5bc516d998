import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../gateway.config';
import { displayPrefixOf, hashSecret, parseKey } from './api-key-token';

/** The operators' organization: fixed, so every replica and every restart finds the same one. */
export const OPERATORS_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000001';

/**
 * Registers TROVE_ADMIN_KEY as an admin key of the operators' organization on start, so a
 * fresh deployment has a way in. Idempotent: replicas starting together agree.
 */
@Injectable()
export class OperatorKey implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const parsed = parseKey(this.config.TROVE_ADMIN_KEY)!;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO organization (id, name, kind, status, contact_email)
         VALUES ($1, 'Trove operators', 'admin', 'active', 'operators@trove.invalid')
         ON CONFLICT (id) DO NOTHING`,
        [OPERATORS_ORGANIZATION_ID],
      );
      const inserted = (await manager.query(
        `INSERT INTO api_key (id, organization_id, name, display_prefix, secret_hash)
         VALUES ($1, $2, 'TROVE_ADMIN_KEY', $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [parsed.id, OPERATORS_ORGANIZATION_ID, displayPrefixOf(parsed), hashSecret(parsed.secret)],
      )) as unknown[];
      if (inserted.length > 0) new Logger('OperatorKey').log(`registered the operator key ${displayPrefixOf(parsed)}…`);
    });
  }
}
