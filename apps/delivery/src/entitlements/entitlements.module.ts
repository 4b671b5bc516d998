import { Module } from '@nestjs/common';
import { CallersModule } from '../callers/callers.module';
import { DeliveryConfig } from '../delivery.config';
import { DownloadsModule } from '../downloads/downloads.module';
import { ManifestSigner } from '../manifests/manifest-signer';
import { VersionRootRepository } from '../manifests/version-root.repository';
import { VersionRoots } from '../manifests/version-roots';
import { parseSigningKeys } from '../signing/signing-keys';
import { EntitlementRepository } from './entitlement.repository';
import { EntitlementsService } from './entitlements.service';

/** Entitlements from the purchase saga, manifests with signed roots and URLs, and version diffs. */
@Module({
  imports: [DownloadsModule, CallersModule],
  providers: [
    EntitlementRepository,
    EntitlementsService,
    VersionRootRepository,
    VersionRoots,
    { provide: ManifestSigner, inject: [DeliveryConfig], useFactory: (config: DeliveryConfig) => new ManifestSigner(parseSigningKeys(config.DELIVERY_SIGNING_KEYS)) },
  ],
})
export class EntitlementsModule {}
