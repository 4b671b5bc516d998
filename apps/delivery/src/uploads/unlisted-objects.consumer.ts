import { CatalogEvents, type ObjectUnlisted } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler, type EventContext } from '@trove/messaging';
import { ObjectDeletions } from './object-deletions';
import { StoredObjectRepository } from './stored-object.repository';

/**
 * A file or sample its vendor removed from the catalog: its row goes and its bytes are queued for
 * deletion in the event's transaction, and deleted right after the commit (ObjectDeletions, whose
 * sweep finishes what a crash leaves). Only the object under the event's key: a newer upload of
 * the same path has a key of its own. An event seen twice finds no row the second time.
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
    if (!(await this.objects.remove(event.storageKey))) return;
    tx.afterCommit(() => this.deletions.start([event.storageKey]));
    this.logger.log({ datasetId: event.datasetId, target: event.target, path: event.path }, 'the catalog no longer lists a stored object: its bytes go');
  }
}
