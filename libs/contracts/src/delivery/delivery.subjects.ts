import { rpcSubject } from '../subject';
import { SignUploadRequest, type SignedUpload } from './delivery.messages';

export const DeliverySubjects = {
  signUpload: rpcSubject<SignUploadRequest, SignedUpload>('delivery.upload.sign', SignUploadRequest),
};
