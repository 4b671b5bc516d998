import { Global, Module } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { DeliveryConfig } from '../delivery.config';
import { AbandonedPutsSweeper } from './abandoned-puts.sweeper';
import { FsObjectStorage } from './fs-object-storage';
import { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3-object-storage';

/** The driver STORAGE_DRIVER names, as the one ObjectStorage of the app. */
export async function createObjectStorage(config: DeliveryConfig): Promise<ObjectStorage> {
  if (config.STORAGE_DRIVER === 's3') {
    return new S3ObjectStorage({ bucket: config.S3_BUCKET!, region: config.S3_REGION, endpoint: config.S3_ENDPOINT });
  }
  const storage = new FsObjectStorage(config.STORAGE_DIR);
  await mkdir(storage.root, { recursive: true });
  return storage;
}

@Global()
@Module({
  providers: [{ provide: ObjectStorage, inject: [DeliveryConfig], useFactory: createObjectStorage }, AbandonedPutsSweeper],
  exports: [ObjectStorage],
})
export class StorageModule {}
