import { AddVersionFileRequest, CatalogSubjects, CreateVersionRequest, ListVersionFilesRequest, ListVersionsRequest, ReleaseVersionRequest, RemoveVersionFileRequest, type VersionFilePage, type VersionFileView, type VersionPage, type VersionView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { VersionsService } from './versions.service';

@Injectable()
export class VersionsHandler {
  constructor(private readonly versions: VersionsService) {}

  @RpcHandler(CatalogSubjects.createVersion)
  create(request: CreateVersionRequest, context: RpcContext): Promise<VersionView> {
    return this.versions.create(callerOf(context), request.datasetId, request.version, request.changelog);
  }

  @RpcHandler(CatalogSubjects.releaseVersion)
  release(request: ReleaseVersionRequest, context: RpcContext): Promise<VersionView> {
    return this.versions.release(callerOf(context), request.datasetId, request.versionId);
  }

  /** Anyone, as the listing's page: its released versions to whoever may see it, every version to its vendor and admins. */
  @RpcHandler(CatalogSubjects.listVersions)
  list(request: ListVersionsRequest, context: RpcContext): Promise<VersionPage> {
    return this.versions.list(context.caller, request.datasetId, request.cursor, request.limit);
  }

  /** Anyone, as the listing's page: released versions of a public listing, every version to its vendor and admins. */
  @RpcHandler(CatalogSubjects.listVersionFiles)
  files(request: ListVersionFilesRequest, context: RpcContext): Promise<VersionFilePage> {
    return this.versions.files(context.caller, request.datasetId, request.versionId, request.cursor, request.limit);
  }

  /** Sent by delivery once the bytes are stored; the signed URL was the vendor's authorization. */
  @RpcHandler(CatalogSubjects.addVersionFile)
  addFile(request: AddVersionFileRequest, context: RpcContext): Promise<VersionFileView> {
    return this.versions.addFile(context.caller, request);
  }

  @RpcHandler(CatalogSubjects.removeVersionFile)
  removeFile(request: RemoveVersionFileRequest, context: RpcContext): Promise<null> {
    return this.versions.removeFile(callerOf(context), request.datasetId, request.versionId, request.path);
  }
}
