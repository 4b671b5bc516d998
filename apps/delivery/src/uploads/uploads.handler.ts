import { DeliverySubjects, SignUploadRequest, type SignedUpload } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { UploadsService } from './uploads.service';

@Injectable()
export class UploadsHandler {
  constructor(private readonly uploads: UploadsService) {}

  /** From catalog, once it has checked the caller, the dataset, the version and the path. */
  @RpcHandler(DeliverySubjects.signUpload)
  sign(request: SignUploadRequest, context: RpcContext): SignedUpload {
    return this.uploads.sign(request, context.caller);
  }
}
