import { Module } from '@nestjs/common';
import { BillingHandler } from './billing.handler';
import { Clock } from './clock';
import { InvoiceRepository } from './invoices/invoice.repository';
import { InvoicesService } from './invoices/invoices.service';
import { LedgerRepository } from './ledger/ledger.repository';
import { OrderReversals, Reversals } from './ledger/reversals';
import { UsageMeterRepository } from './metering/usage-meter.repository';
import { UsageMeters } from './metering/usage-meters.consumer';
import { OrderPayments } from './payments/order-payments.consumer';
import { PaymentRepository } from './payments/payment.repository';
import { PaymentsService } from './payments/payments.service';
import { SubscriptionRepository } from './subscriptions/subscription.repository';
import { Standing } from './standing';
import { SubscriptionsService } from './subscriptions/subscriptions.service';
import { PayoutRepository } from './wallets/payout.repository';
import { TopUpRepository } from './wallets/top-up.repository';
import { WalletsService } from './wallets/wallets.service';

/** The ledger and everything that posts to it. */
@Module({
  providers: [
    Clock,
    Reversals,
    OrderReversals,
    LedgerRepository,
    PaymentRepository,
    InvoiceRepository,
    SubscriptionRepository,
    TopUpRepository,
    PayoutRepository,
    PaymentsService,
    InvoicesService,
    SubscriptionsService,
    Standing,
    WalletsService,
    BillingHandler,
    OrderPayments,
    UsageMeterRepository,
    UsageMeters,
  ],
  exports: [PaymentsService, WalletsService, InvoicesService, SubscriptionsService, Clock],
})
export class BillingModule {}
