import { CommonErrorCode, type InvoicePage, type InvoiceView, type ListInvoicesRequest } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { decodeCursor, ServiceException, toPage, type Caller } from '@trove/platform';
import { BillingConfig } from '../billing.config';
import { InvoiceRepository } from './invoice.repository';

/** A document still waiting for the numbering step: its number, or a credit note's invoice number (`creditsInvoice`), not given yet. */
function unnumbered(invoice: InvoiceView): boolean {
  return invoice.number === null || (invoice.kind === 'credit_note' && invoice.creditsInvoice === null);
}

/**
 * Invoices and credit notes: an invoice is issued with each charge, a credit note with each
 * reversal of a charge (both without a number), numbered shortly after the commit by one numbering
 * step at a time, gapless per year in each series. Reads number what is still pending first, so
 * a document is never shown without its number.
 */
@Injectable()
export class InvoicesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Invoices');
  private timer?: NodeJS.Timeout;
  /** The pass asked for and not started yet: more commits meanwhile join it. */
  private soon?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** A commit asked while a pass ran: its document may be past that pass's snapshot, so one more pass follows. */
  private again = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly invoices: InvoiceRepository,
    private readonly config: BillingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.INVOICE_NUMBERING_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
  }

  /**
   * Numbers pending invoices soon, without waiting: after a charge's commit, and on a timer. One
   * pass at a time, started a tenth of INVOICE_NUMBERING_MS after the first ask, so that the
   * commits of that moment share one pass (a few statements for all of them) instead of one pass
   * each; an ask during a pass is answered by one more pass after it. A document still gets its
   * number well within INVOICE_NUMBERING_MS, and reads number what is pending themselves.
   */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.again = false;
      this.running = this.numberPending()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'invoice numbering failed; the next pass retries'))
        .finally(() => {
          this.running = undefined;
          if (this.again) this.kick();
        });
    }, Math.floor(this.config.INVOICE_NUMBERING_MS / 10));
    this.soon.unref();
  }

  /** Gives every pending invoice its number; returns how many. */
  async numberPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const numbered = await this.unitOfWork.run(() => this.invoices.numberPending());
      total += numbered;
      if (numbered < 1000) return total;
    }
  }

  async get(caller: Caller, id: string): Promise<InvoiceView> {
    let invoice = await this.unitOfWork.read(() => this.invoices.findById(id));
    if (!invoice || !(caller.role === 'admin' || invoice.buyerOrganizationId === caller.organizationId)) {
      throw new ServiceException(CommonErrorCode.NOT_FOUND, `No invoice ${id}.`);
    }
    if (unnumbered(invoice)) {
      await this.numberPending();
      invoice = (await this.unitOfWork.read(() => this.invoices.findById(id))) ?? invoice;
    }
    return invoice;
  }

  /**
   * A page of documents, newest first, each with its number. What is pending is numbered before
   * the page is read, but a charge or a refund may commit in between (its document is then the
   * newest on the page, without a number); so, as `get` does, a page holding a document still
   * without its number (or a credit note without the invoice it credits) numbers what is pending
   * and is read again.
   */
  async list(caller: Caller, request: ListInvoicesRequest): Promise<InvoicePage> {
    const limit = request.limit ?? 20;
    const owner = caller.role === 'admin' ? null : caller.organizationId;
    const scope = `invoices|${owner ?? '*'}|${request.kind ?? '*'}`;
    const after = decodeCursor(request.cursor, scope);
    const read = () => this.unitOfWork.read(() => this.invoices.list(owner, limit + 1, after, request.kind));
    if ((await this.unitOfWork.read(() => this.invoices.countUnnumbered())) > 0) await this.numberPending();
    let rows = await read();
    if (rows.some(unnumbered)) {
      await this.numberPending();
      rows = await read();
    }
    return toPage(rows, limit, (invoice) => ({ at: new Date(invoice.issuedAt), id: invoice.id }), (invoice) => invoice, scope);
  }
}
