import { MinLength } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class GatewayConfig extends PlatformConfig {
  /** The operator's key for /v1/admin routes until organizations and API keys take over. */
  @MinLength(32, { message: 'TROVE_ADMIN_KEY must be a secret of at least 32 characters' })
  TROVE_ADMIN_KEY: string;
}
