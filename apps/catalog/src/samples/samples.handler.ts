import { CatalogSubjects, GetSampleRequest, RemoveSampleRequest, type SampleDownloadView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { SamplesService } from './samples.service';

@Injectable()
export class SamplesHandler {
  constructor(private readonly samples: SamplesService) {}

  /** A listing's samples are public with it: no caller needed for a published listing. */
  @RpcHandler(CatalogSubjects.getSample)
  get(request: GetSampleRequest, context: RpcContext): Promise<SampleDownloadView> {
    return this.samples.download(context.caller, request.datasetId, request.sampleId);
  }

  @RpcHandler(CatalogSubjects.removeSample)
  remove(request: RemoveSampleRequest, context: RpcContext): Promise<null> {
    return this.samples.remove(callerOf(context), request.datasetId, request.sampleId);
  }
}
