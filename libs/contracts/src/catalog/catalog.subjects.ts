import { rpcSubject } from '../subject';
import { GetDatasetRequest, type DatasetSummary } from './catalog.messages';

export const CatalogSubjects = {
  getDataset: rpcSubject<GetDatasetRequest, DatasetSummary>('catalog.dataset.get', GetDatasetRequest),
};
