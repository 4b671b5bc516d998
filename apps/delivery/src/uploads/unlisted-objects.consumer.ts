import { CatalogEvents, type ObjectUnlisted } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler, type EventContext } from '@trove/messaging';
import { ObjectDeletions } from './object-deletions';
import { StoredObjectRepository } from './stored-object.repository';

/**
 * A file or sample its vendor removed from the catalog: its row goes and its bytes are queued for
 * deletion in the event's transaction, and deleted right after the commit (ObjectDeletions, whose
 * sweep finishes what a crash leaves). The object under the event's key, and the older uploads of
 * the same path a lost confirmation left recorded (StoredObjectRepository.removeUnlisted); a
 * newer upload of the path has a key of its own and stays. An event seen twice finds no row the
 * second time.
 */
@Injectable()
export class UnlistedObjectsConsumer {
  private readonly logger = new Logger('Uploads');

  constructor(
    private readonly objects: StoredObjectRepository,
    private readonly deletions: ObjectDeletions,
  ) {}

  @EventHandler(CatalogEvents.objectUnlisted, { consumer: 'unlisted-objects' })
  async unlisted(event: ObjectUnlisted, { tx }: EventContext<ObjectUnlisted>): Promise<void> {
    const gone = await this.objects.removeUnlisted({ key: event.storageKey, target: event.target, datasetId: event.datasetId, versionId: event.versionId ?? null, path: event.path });
    if (gone.length === 0) return;
    tx.afterCommit(() => this.deletions.start(gone));
    this.logger.log({ datasetId: event.datasetId, target: event.target, path: event.path, objects: gone.length }, 'the catalog no longer lists a stored object: its bytes go');
  }
}
