import 'reflect-metadata';
import { BillingErrorCode, BillingSubjects, CommonErrorCode, RejectTopUpRequest } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import { validateMessage, type Caller, type ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { BillingHarness, buyer, OPERATOR } from './billing-harness';

jest.setTimeout(120_000);

/** A bank statement's serial number, new for each test: 招商银行 CMB-20261130-xxxx. */
const serial = (bank = '招商银行 CMB') => `${bank}-20261130-${randomUUID().slice(0, 6).toUpperCase()}`;

describe('billing: a pending top-up can be withdrawn by its buyer or refused by an operator', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start();
  });

  afterAll(async () => {
    await billing?.stop();
  });

  afterEach(async () => {
    expect(await billing.violations()).toEqual([]);
  });

  const file = (caller: Caller, amount: number, reference: string) => billing.wallets.recordTopUp(caller, { amount: { amount, currency: 'CNY' }, reference });
  const topUpEntries = async (topUpId: string) =>
    Number((await billing.sql.query(`SELECT count(*) AS n FROM journal_entry WHERE kind = 'top_up' AND source_id = $1`, [topUpId])).rows[0].n);

  it('lets an operator reject a transfer that never arrived, with a reason the buyer reads; nothing is credited and the buyer may file it again', async () => {
    const 科大讯飞 = buyer();
    const reference = serial();
    const topUp = await file(科大讯飞, 2_000_000, reference);
    const reason = '截至 2026-12-01 招商银行对账单上没有这笔转账，请核对流水号后重新提交';

    const rejected = await billing.wallets.rejectTopUp(topUp.id, reason);

    expect(rejected).toMatchObject({ id: topUp.id, status: 'rejected', rejectionReason: reason, confirmedAt: null, cancelledAt: null, amount: { amount: 2_000_000, currency: 'CNY' } });
    expect(rejected.rejectedAt).toEqual(expect.any(String));
    expect(await billing.wallets.topUp(科大讯飞, topUp.id)).toEqual(rejected);
    expect(await billing.wallets.topUp(OPERATOR, topUp.id)).toEqual(rejected);
    await expect(billing.wallets.confirmTopUp(topUp.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE, status: 409 });
    await expect(billing.wallets.rejectTopUp(topUp.id, reason)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.cancelTopUp(科大讯飞, topUp.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await topUpEntries(topUp.id)).toBe(0);
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(0);

    // The money arrives after all: the same reference and amount are filed again, and credited once.
    const again = await file(科大讯飞, 2_000_000, reference);
    expect(again).toMatchObject({ status: 'pending', rejectionReason: null });
    expect((await billing.wallets.confirmTopUp(again.id)).status).toBe('confirmed');
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(2_000_000);
    expect(await billing.wallets.topUp(科大讯飞, topUp.id)).toEqual(rejected);
  });

  it('lets a buyer withdraw a mistyped top-up it filed again correctly, twice with the same answer, and frees its reference and amount', async () => {
    const 百度 = buyer();
    const reference = serial('工商银行 ICBC');
    const mistyped = await file(百度, 20_000_000, reference);
    const corrected = await file(百度, 2_000_000, reference);

    const cancelled = await billing.wallets.cancelTopUp(百度, mistyped.id);

    expect(cancelled).toMatchObject({ id: mistyped.id, status: 'cancelled', confirmedAt: null, rejectedAt: null, rejectionReason: null });
    expect(cancelled.cancelledAt).toEqual(expect.any(String));
    expect(await billing.wallets.cancelTopUp(百度, mistyped.id)).toEqual(cancelled);
    await expect(billing.wallets.confirmTopUp(mistyped.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.rejectTopUp(mistyped.id, '金额与对账单不符')).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await topUpEntries(mistyped.id)).toBe(0);

    // A cancelled top-up no longer blocks filing the same reference and amount: only a pending one does.
    const refiled = await file(百度, 20_000_000, reference);
    expect(refiled.status).toBe('pending');
    await expect(file(百度, 20_000_000, reference)).rejects.toMatchObject({ code: BillingErrorCode.TOP_UP_ALREADY_FILED });
    await billing.wallets.cancelTopUp(百度, refiled.id);

    expect((await billing.wallets.confirmTopUp(corrected.id)).status).toBe('confirmed');
    expect(await billing.walletBalance(百度.organizationId)).toBe(2_000_000);
    // Once credited, a confirmed top-up is neither withdrawn nor refused.
    await expect(billing.wallets.cancelTopUp(百度, corrected.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.rejectTopUp(corrected.id, '重复入账')).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await billing.walletBalance(百度.organizationId)).toBe(2_000_000);
  });

  it.each([
    ['terminal escapes (clear the screen)', '\u001b[2J'],
    ['a right-to-left override', '\u202e'],
  ])('refuses a rejection reason holding %s, which the buyer would read (400 naming `reason`), at the contract and over NATS, and leaves the top-up pending', async (_, hidden) => {
    const 科大讯飞 = buyer();
    const topUp = await file(科大讯飞, 2_000_000, serial());
    const reason = `招商银行对账单上没有这笔转账${hidden}请核对流水号后重新提交`;
    const refused = (() => {
      try {
        validateMessage(RejectTopUpRequest, { topUpId: topUp.id, reason });
      } catch (error) {
        return error as ServiceException;
      }
    })();
    expect(refused).toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    expect(refused!.errors).toEqual([{ field: 'reason', problems: [expect.stringMatching(/^reason must not contain/)] }]);

    const rpc = billing.app.get(RpcClient);
    const sent = billing.as(OPERATOR, () => rpc.send(BillingSubjects.rejectTopUp, { topUpId: topUp.id, reason }, { idempotencyKey: randomUUID() }));
    await expect(sent).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    await expect(sent).rejects.toThrow(/^reason: /);
    expect(await billing.wallets.topUp(科大讯飞, topUp.id)).toMatchObject({ status: 'pending', rejectionReason: null });
    // Prose keeps its line breaks and tabs.
    const lines = '1. 对账单上没有这笔转账\n2.\t请核对流水号';
    expect(validateMessage(RejectTopUpRequest, { topUpId: topUp.id, reason: lines }).reason).toBe(lines);
  });

  it("refuses another organization's top-up and an unknown one as if they did not exist", async () => {
    const [阿里, 字节] = [buyer(), buyer()];
    const topUp = await file(阿里, 500_000, serial());
    const unknown = '00000000-0000-4000-8000-00000000dead';

    await expect(billing.wallets.cancelTopUp(字节, topUp.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.topUp(字节, topUp.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.cancelTopUp(阿里, unknown)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.rejectTopUp(unknown, '没有这笔转账')).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.topUp(OPERATOR, unknown)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    expect(await billing.wallets.topUp(阿里, topUp.id)).toMatchObject({ status: 'pending', cancelledAt: null, rejectedAt: null, rejectionReason: null });
  });

  it("never counts a cancelled or rejected top-up as the transfer's credit: another top-up of the transfer is confirmed", async () => {
    const [华为, 腾讯] = [buyer(), buyer()];
    const reference = serial('中国银行 BOC');
    const withdrawn = await file(华为, 880_000, reference);
    const refused = await file(腾讯, 880_000, reference.toLowerCase());
    await billing.wallets.cancelTopUp(华为, withdrawn.id);
    await billing.wallets.rejectTopUp(refused.id, '付款人账户名与机构名称不符');
    const genuine = await file(腾讯, 880_000, ` ${reference} `);

    await expect(billing.wallets.confirmTopUp(genuine.id)).resolves.toMatchObject({ status: 'confirmed' });
    expect(await billing.walletBalance(腾讯.organizationId)).toBe(880_000);
    expect(await billing.walletBalance(华为.organizationId)).toBe(0);
  });

  it('keeps the ends in the database: a rejection needs its reason and time, a cancellation its time, and neither an entry', async () => {
    const 智谱 = buyer();
    const topUp = await file(智谱, 100_000, serial());
    const refused = (sql: string) => billing.sql.query(sql, [topUp.id]).then(() => 'committed', (error: { constraint?: string }) => error.constraint);

    expect(await refused(`UPDATE top_up SET status = 'rejected', rejected_at = now() WHERE id = $1`)).toBe('top_up_rejected_check');
    expect(await refused(`UPDATE top_up SET status = 'cancelled' WHERE id = $1`)).toBe('top_up_cancelled_check');
    expect(await refused(`UPDATE top_up SET status = 'pending', cancelled_at = now() WHERE id = $1`)).toBe('top_up_cancelled_check');
    expect(await refused(`UPDATE top_up SET status = 'withdrawn' WHERE id = $1`)).toBe('top_up_status_check');
    expect((await billing.wallets.topUp(智谱, topUp.id)).status).toBe('pending');
  });

  it('lets exactly one of a confirmation and a rejection or cancellation racing for the same top-up win, with the ledger agreeing', async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 12; round++) {
      const 商汤 = buyer();
      const topUp = await file(商汤, 1_200_000, serial('建设银行 CCB'));
      const ending =
        round % 2 === 0 ? billing.wallets.rejectTopUp(topUp.id, '银行退回：收款账号有误') : billing.wallets.cancelTopUp(商汤, topUp.id);

      const [confirmation, end] = await Promise.allSettled([billing.wallets.confirmTopUp(topUp.id), ending]);

      const won = [confirmation, end].filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = [confirmation, end].find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: CommonErrorCode.INVALID_STATE });
      const final = await billing.wallets.topUp(商汤, topUp.id);
      expect(final.status).toBe(confirmation.status === 'fulfilled' ? 'confirmed' : round % 2 === 0 ? 'rejected' : 'cancelled');
      outcomes[final.status] = (outcomes[final.status] ?? 0) + 1;
      expect(await topUpEntries(topUp.id)).toBe(final.status === 'confirmed' ? 1 : 0);
      expect(await billing.walletBalance(商汤.organizationId)).toBe(final.status === 'confirmed' ? 1_200_000 : 0);
    }
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(12);
  });
});
