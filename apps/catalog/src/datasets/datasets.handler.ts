import {
  CatalogSubjects,
  CreateDatasetRequest,
  DatasetRecipientsRequest,
  GetDatasetRequest,
  ListDatasetsRequest,
  ListVendorDatasetsRequest,
  ModerateDatasetRequest,
  SuspendDatasetRequest,
  RejectDatasetRequest,
  SubmitDatasetRequest,
  UpdateDatasetRequest,
  type DatasetDetail,
  type DatasetRecipients,
  type DatasetPage,
  type DatasetView,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerAs, callerOf } from '../access';
import { DatasetRecipientsService } from './dataset-recipients.service';
import { DatasetsService } from './datasets.service';

/**
 * The gateway checks roles; this checks ownership again from the caller headers, so a request
 * that reaches NATS some other way cannot touch another vendor's listing.
 */
@Injectable()
export class DatasetsHandler {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly recipients: DatasetRecipientsService,
  ) {}

  /** A published dataset is public; any other is visible to its vendor and to admins only. */
  @RpcHandler(CatalogSubjects.getDataset)
  get(request: GetDatasetRequest, context: RpcContext): Promise<DatasetDetail> {
    return this.datasets.detail(context.caller, request.id);
  }

  @RpcHandler(CatalogSubjects.getCroissant)
  croissant(request: GetDatasetRequest, context: RpcContext): Promise<Record<string, unknown>> {
    return this.datasets.croissant(context.caller, request.id);
  }

  /** The listing's vendor, or an operator: who received it, and what each downloaded (from delivery). */
  @RpcHandler(CatalogSubjects.datasetRecipients)
  recipientsOf(request: DatasetRecipientsRequest, context: RpcContext): Promise<DatasetRecipients> {
    return this.recipients.recipients(callerOf(context), request);
  }

  @RpcHandler(CatalogSubjects.createDataset)
  create(request: CreateDatasetRequest, context: RpcContext): Promise<DatasetView> {
    return this.datasets.create(callerAs(context, 'vendor'), request.metadata);
  }

  @RpcHandler(CatalogSubjects.updateDataset)
  update(request: UpdateDatasetRequest, context: RpcContext): Promise<DatasetView> {
    return this.datasets.update(callerOf(context), request.id, request.metadata);
  }

  @RpcHandler(CatalogSubjects.listVendorDatasets)
  listOwn(request: ListVendorDatasetsRequest, context: RpcContext): Promise<DatasetPage> {
    return this.datasets.list(callerAs(context, 'vendor').organizationId, request.status, request.cursor, request.limit);
  }

  @RpcHandler(CatalogSubjects.listDatasets)
  list(request: ListDatasetsRequest, context: RpcContext): Promise<DatasetPage> {
    callerAs(context, 'admin');
    return this.datasets.list(request.vendorOrganizationId, request.status, request.cursor, request.limit);
  }

  @RpcHandler(CatalogSubjects.submitDataset)
  submit(request: SubmitDatasetRequest, context: RpcContext): Promise<DatasetView> {
    return this.datasets.submit(callerOf(context), request.id, request.vendorStatus);
  }

  @RpcHandler(CatalogSubjects.withdrawDataset)
  withdraw(request: ModerateDatasetRequest, context: RpcContext): Promise<DatasetView> {
    return this.datasets.withdraw(callerAs(context, 'vendor'), request.id);
  }

  @RpcHandler(CatalogSubjects.approveDataset)
  approve(request: ModerateDatasetRequest, context: RpcContext): Promise<DatasetView> {
    callerAs(context, 'admin');
    return this.datasets.approve(request.id);
  }

  @RpcHandler(CatalogSubjects.rejectDataset)
  reject(request: RejectDatasetRequest, context: RpcContext): Promise<DatasetView> {
    callerAs(context, 'admin');
    return this.datasets.reject(request.id, request.reason);
  }

  @RpcHandler(CatalogSubjects.suspendDataset)
  suspend(request: SuspendDatasetRequest, context: RpcContext): Promise<DatasetView> {
    callerAs(context, 'admin');
    return this.datasets.suspend(request.id, request.reason ?? null);
  }
}
