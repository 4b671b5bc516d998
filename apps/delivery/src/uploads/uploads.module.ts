import { Module } from '@nestjs/common';
import { StoredObjectRepository } from './stored-object.repository';
import { UploadPace } from './upload-pace';
import { UploadsController } from './uploads.controller';
import { UploadsHandler } from './uploads.handler';
import { UploadsService } from './uploads.service';
import { ObjectDeletions } from './object-deletions';
import { UnconfirmedUploadsSweeper } from './unconfirmed-uploads.sweeper';
import { UnlistedObjectsConsumer } from './unlisted-objects.consumer';

@Module({
  controllers: [UploadsController],
  providers: [StoredObjectRepository, UploadsService, UploadsHandler, UploadPace, UnconfirmedUploadsSweeper, ObjectDeletions, UnlistedObjectsConsumer],
  exports: [StoredObjectRepository],
})
export class UploadsModule {}
