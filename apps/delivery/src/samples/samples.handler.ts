import { DeliverySubjects, SignSampleRequest, type SignedSample } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler } from '@trove/messaging';
import { SamplesService } from './samples.service';

@Injectable()
export class SamplesHandler {
  constructor(private readonly samples: SamplesService) {}

  /** From catalog, once it has decided that the caller may see the listing and its samples. */
  @RpcHandler(DeliverySubjects.signSample)
  sign(request: SignSampleRequest): SignedSample {
    return this.samples.sign(request);
  }
}
