import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { ExclusiveSale } from './exclusive-sale.entity';
import { Offer } from './offer.entity';

/** Offers and the exclusive sales made of them, on the unit of work in progress. */
@Injectable()
export class OfferRepository extends TransactionalRepository {
  async insert(offer: Offer): Promise<Offer> {
    await this.transaction.save(Offer, offer);
    return this.transaction.findOneByOrFail(Offer, { id: offer.id });
  }

  save(offer: Offer): Promise<Offer> {
    return this.transaction.save(Offer, offer);
  }

  findById(id: string): Promise<Offer | null> {
    return this.manager.findOneBy(Offer, { id });
  }

  findInDataset(datasetId: string, id: string): Promise<Offer | null> {
    return this.manager.findOneBy(Offer, { id, datasetId });
  }

  /** Call with the dataset row locked, so no sale is added meanwhile. */
  liveExclusiveSales(datasetId: string): Promise<ExclusiveSale[]> {
    return this.manager.find(ExclusiveSale, { where: { datasetId, status: 'live' } });
  }

  saleOfOrder(orderId: string, lock = false): Promise<ExclusiveSale | null> {
    return lock
      ? this.transaction.findOne(ExclusiveSale, { where: { orderId }, lock: { mode: 'pessimistic_write' } })
      : this.manager.findOneBy(ExclusiveSale, { orderId });
  }

  async insertSale(sale: ExclusiveSale): Promise<ExclusiveSale> {
    await this.transaction.save(ExclusiveSale, sale);
    return this.transaction.findOneByOrFail(ExclusiveSale, { id: sale.id });
  }

  saveSale(sale: ExclusiveSale): Promise<ExclusiveSale> {
    return this.transaction.save(ExclusiveSale, sale);
  }
}
