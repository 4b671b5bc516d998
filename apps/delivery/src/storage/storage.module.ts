import { Global, Module } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { DeliveryConfig } from '../delivery.config';
import { AbandonedPutsSweeper } from './abandoned-puts.sweeper';
import { FsObjectStorage } from './fs-object-storage';
import { ObjectStorage } from './object-storage';
import { prepareYoungCollection } from './young-garbage';

/**
 * The driver STORAGE_DRIVER names, as the one ObjectStorage of the app. The S3 driver is loaded
 * only when named: the AWS SDK took 2.6 MB of delivery's heap (37.1 MB after a full collection
 * during uploads, 34.5 MB without it) that a filesystem deployment carried for nothing, and that
 * every full collection marked again (about ten per GiB uploaded).
 */
export async function createObjectStorage(config: DeliveryConfig): Promise<ObjectStorage> {
  if (config.STORAGE_DRIVER === 's3') {
    const { S3ObjectStorage } = await import('./s3-object-storage');
    return new S3ObjectStorage({ bucket: config.S3_BUCKET!, region: config.S3_REGION, endpoint: config.S3_ENDPOINT });
  }
  const storage = new FsObjectStorage(config.STORAGE_DIR);
  await mkdir(storage.root, { recursive: true });
  storage.warm();
  // Before any upload starts the hashing worker threads: the flag it sets is seen by none of them.
  prepareYoungCollection();
  return storage;
}

@Global()
@Module({
  providers: [{ provide: ObjectStorage, inject: [DeliveryConfig], useFactory: createObjectStorage }, AbandonedPutsSweeper],
  exports: [ObjectStorage],
})
export class StorageModule {}
