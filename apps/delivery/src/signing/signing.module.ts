import { Global, Module } from '@nestjs/common';
import { DeliveryConfig } from '../delivery.config';
import { parseSigningKeys } from './signing-keys';
import { UrlSigner } from './url-signer';

/** One UrlSigner for uploads now and downloads next, over DELIVERY_SIGNING_KEYS. */
@Global()
@Module({
  providers: [{ provide: UrlSigner, inject: [DeliveryConfig], useFactory: (config: DeliveryConfig) => new UrlSigner(parseSigningKeys(config.DELIVERY_SIGNING_KEYS)) }],
  exports: [UrlSigner],
})
export class SigningModule {}
