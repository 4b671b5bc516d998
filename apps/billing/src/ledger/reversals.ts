import { Injectable } from '@nestjs/common';
import type { PostingLine, StoredPosting } from './ledger.repository';

/**
 * The reversing entry of a charge: every posting again with its sign turned, on the same
 * accounts, so each account is back where it was and the charge itself is never edited.
 * (Injectable so that the ledger's property test can show that a wrong reversal is caught.)
 */
@Injectable()
export class Reversals {
  reverse(postings: readonly StoredPosting[]): PostingLine[] {
    return postings.map((p) => ({ accountId: p.accountId, amount: -p.amount }));
  }
}
