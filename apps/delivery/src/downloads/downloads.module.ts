import { Module } from '@nestjs/common';
import { DownloadRepository } from './download.repository';
import { DownloadsController } from './downloads.controller';
import { DownloadsService } from './downloads.service';

@Module({
  controllers: [DownloadsController],
  providers: [DownloadRepository, DownloadsService],
  exports: [DownloadRepository],
})
export class DownloadsModule {}
