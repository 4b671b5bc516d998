import { AddSampleRequest, CatalogSubjects, CreateUploadRequest, ListedObjectsRequest, type AddedSample, type ListedObjects, type SignedUploadView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { SamplesService } from '../samples/samples.service';
import { ListedObjectsRepository } from './listed-objects.repository';
import { UploadsService } from './uploads.service';

@Injectable()
export class UploadsHandler {
  constructor(
    private readonly uploads: UploadsService,
    private readonly samples: SamplesService,
    private readonly listedObjects: ListedObjectsRepository,
  ) {}

  @RpcHandler(CatalogSubjects.createUpload)
  create(request: CreateUploadRequest, context: RpcContext): Promise<SignedUploadView> {
    return this.uploads.create(callerOf(context), request);
  }

  /** Sent by delivery once a sample's bytes are stored. */
  @RpcHandler(CatalogSubjects.addSample)
  addSample(request: AddSampleRequest, context: RpcContext): Promise<AddedSample> {
    return this.samples.add(context.caller, request);
  }

  /**
   * Sent by delivery's sweep: of the objects it stored and told catalog about without an answer,
   * the ones catalog lists. The keys are random, so the answer tells nothing to whoever does not
   * already hold them.
   */
  @RpcHandler(CatalogSubjects.listedObjects)
  async listed(request: ListedObjectsRequest): Promise<ListedObjects> {
    return { listed: await this.listedObjects.listed(request.objects) };
  }
}
