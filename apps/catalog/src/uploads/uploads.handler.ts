import { AddSampleRequest, CatalogSubjects, CreateUploadRequest, type AddedSample, type SignedUploadView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { SamplesService } from '../samples/samples.service';
import { UploadsService } from './uploads.service';

@Injectable()
export class UploadsHandler {
  constructor(
    private readonly uploads: UploadsService,
    private readonly samples: SamplesService,
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
}
