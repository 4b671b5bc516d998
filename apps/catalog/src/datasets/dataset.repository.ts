import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { Dataset } from './dataset.entity';

@Injectable()
export class DatasetRepository {
  private readonly datasets: Repository<Dataset>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.datasets = dataSource.getRepository(Dataset);
  }

  findById(id: string): Promise<Dataset | null> {
    return this.datasets.findOneBy({ id });
  }
}
