import { RejectPayoutRequest, RejectTopUpRequest } from '@trove/contracts';
import { refusedFields } from '../../../../test/support/validation';
import { RejectPayoutDto, RejectTopUpDto } from './billing.dto';

const ID = 'ebc087e7-5d0c-4b8e-9a57-3b2f1c6d8e90';

// An operator's reason for refusing a top-up or a payout is read by the buyer or the vendor: a
// terminal escape recolours or clears the screen it is read on, an override shows other words.
describe.each([
  ['the gateway body of a top-up rejection', RejectTopUpDto, {}],
  ['the billing command rejecting a top-up', RejectTopUpRequest, { topUpId: ID }],
  ['the gateway body of a payout rejection', RejectPayoutDto, {}],
  ['the billing command rejecting a payout', RejectPayoutRequest, { payoutId: ID }],
])('a rejection reason, in %s', (_name, cls, ids) => {
  it.each([
    ['terminal escapes', '收款账户名称不符\u001b[2J请更新'],
    ['a right-to-left override', '收款账户名称不符 \u202e新更请'],
    ['a bidirectional isolate', '\u2066收款账户名称不符\u2069'],
    ['a bell', '收款账户名称不符\u0007'],
  ])('refuses %s (400 naming reason)', (_what, reason) => {
    expect(refusedFields(cls, { ...ids, reason })).toEqual(['reason']);
  });

  it('takes prose: Chinese, line breaks and tabs', () => {
    expect(refusedFields(cls, { ...ids, reason: '1. 招商银行对账单上没有这笔转账\n2.\t请核对流水号后重新提交' })).toEqual([]);
  });
});
