import 'reflect-metadata';
import { BillingErrorCode, BillingSubjects, CommonErrorCode, RejectPayoutRequest, RequestPayoutRequest } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import { validateMessage, type ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { BillingHarness, buyer, line, OPERATOR, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const CNY = (amount: number) => ({ amount: { amount, currency: 'CNY' as const } });

describe('billing: a pending payout can be withdrawn by its vendor or refused by an operator', () => {
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

  const payoutEntries = async (payoutId: string) =>
    Number((await billing.sql.query(`SELECT count(*) AS n FROM journal_entry WHERE kind = 'payout' AND source_id = $1`, [payoutId])).rows[0].n);

  /** A vendor owed 1,600,000 fen: two sales of 10,000.00 yuan, less the 20 % commission. */
  async function vendorOwed1600000() {
    const 商汤 = buyer();
    const 数据堂 = vendor();
    await billing.fund(商汤, 2_000_000);
    const first = order(商汤.organizationId, [line(数据堂.organizationId, 1_000_000)]);
    const second = order(商汤.organizationId, [line(数据堂.organizationId, 1_000_000)]);
    await billing.payments.charge(first);
    await billing.payments.charge(second);
    expect(await billing.payable(数据堂.organizationId)).toBe(1_600_000);
    return { 数据堂, first, second };
  }

  it('unfreezes the money of a payout a refund made too large: the vendor cancels it and is paid what it is still owed', async () => {
    const { 数据堂, second } = await vendorOwed1600000();
    const payout = await billing.wallets.requestPayout(数据堂, CNY(1_600_000));
    await billing.payments.refund(second.orderId);
    expect(await billing.payable(数据堂.organizationId)).toBe(800_000);
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_EXCEEDS_BALANCE });
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toThrow('of 16,000.00 CNY exceeds the 8,000.00 CNY owed');
    await expect(billing.wallets.requestPayout(数据堂, CNY(800_000))).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_EXCEEDS_BALANCE });

    const cancelled = await billing.wallets.cancelPayout(数据堂, payout.id);

    expect(cancelled).toMatchObject({ id: payout.id, status: 'cancelled', paidAt: null, rejectionReason: null, amount: { amount: 1_600_000, currency: 'CNY' } });
    expect(await billing.wallets.cancelPayout(数据堂, payout.id)).toEqual(cancelled);
    expect(await billing.payable(数据堂.organizationId)).toBe(800_000);
    expect(await payoutEntries(payout.id)).toBe(0);
    const again = await billing.wallets.requestPayout(数据堂, CNY(800_000));
    expect((await billing.wallets.approvePayout(again.id)).status).toBe('paid');
    expect(await billing.payable(数据堂.organizationId)).toBe(0);
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await payoutEntries(payout.id)).toBe(0);
  });

  it("holds a suspended vendor's payout, pays it once the vendor is reinstated, and lets an operator reject it meanwhile", async () => {
    const { 数据堂 } = await vendorOwed1600000();
    const held = await billing.wallets.requestPayout(数据堂, CNY(600_000));
    const rejected = await billing.wallets.requestPayout(数据堂, CNY(400_000));
    // The standing as billing keeps it from the gateway's status events (subscription-suspension.test.ts takes them in).
    const standing = (status: string, changedAt: string) =>
      billing.sql.query(
        `INSERT INTO organization_standing (organization_id, status, changed_at) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at`,
        [数据堂.organizationId, status, changedAt],
      );
    await standing('suspended', '2026-03-02T08:00:00.000Z');

    await expect(billing.wallets.approvePayout(held.id)).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_HELD, status: 409 });
    await expect(billing.wallets.approvePayout(held.id)).rejects.toThrow(`its vendor ${数据堂.organizationId} is suspended`);
    expect(await payoutEntries(held.id)).toBe(0);
    expect(await billing.payable(数据堂.organizationId)).toBe(1_600_000);
    expect((await billing.wallets.payout(数据堂, held.id)).status).toBe('pending');
    expect((await billing.wallets.rejectPayout(rejected.id, '供应商账户冻结，待合规审查')).status).toBe('rejected');

    await standing('active', '2026-03-09T08:00:00.000Z');
    expect((await billing.wallets.approvePayout(held.id)).status).toBe('paid');
    expect(await billing.payable(数据堂.organizationId)).toBe(1_000_000);
  });

  it("refuses a vendor another vendor's payout as if it did not exist, and a paid one as settled", async () => {
    const { 数据堂 } = await vendorOwed1600000();
    const 海天瑞声 = vendor();
    const payout = await billing.wallets.requestPayout(数据堂, CNY(600_000));

    await expect(billing.wallets.cancelPayout(海天瑞声, payout.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.payout(海天瑞声, payout.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    await expect(billing.wallets.cancelPayout(数据堂, '00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
    expect((await billing.wallets.payout(数据堂, payout.id)).status).toBe('pending');

    await billing.wallets.approvePayout(payout.id);
    await expect(billing.wallets.cancelPayout(数据堂, payout.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.rejectPayout(payout.id, '收款账户已注销')).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await billing.wallets.payout(数据堂, payout.id)).toMatchObject({ status: 'paid', rejectionReason: null });
    expect(await billing.payable(数据堂.organizationId)).toBe(1_000_000);
  });

  it('lets an operator reject a pending payout with a reason the vendor reads; the money is asked for again', async () => {
    const { 数据堂 } = await vendorOwed1600000();
    const payout = await billing.wallets.requestPayout(数据堂, CNY(1_600_000));
    const reason = '收款银行账户与营业执照名称不符（招商银行 CMB-20261130-0042），请更新后重新申请';

    const rejected = await billing.wallets.rejectPayout(payout.id, reason);

    expect(rejected).toMatchObject({ id: payout.id, status: 'rejected', rejectionReason: reason, paidAt: null });
    expect(await billing.as(数据堂, () => billing.wallets.payout(数据堂, payout.id))).toEqual(rejected);
    expect(await billing.wallets.payout(OPERATOR, payout.id)).toEqual(rejected);
    await expect(billing.wallets.rejectPayout(payout.id, reason)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.cancelPayout(数据堂, payout.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: CommonErrorCode.INVALID_STATE });
    expect(await payoutEntries(payout.id)).toBe(0);
    expect(await billing.payable(数据堂.organizationId)).toBe(1_600_000);

    const again = await billing.wallets.requestPayout(数据堂, CNY(1_600_000));
    expect(again.status).toBe('pending');
  });

  it.each([
    ['terminal escapes (clear the screen)', '\u001b[2J'],
    ['a right-to-left override', '\u202e'],
  ])('refuses a rejection reason holding %s, which the vendor would read (400 naming `reason`), at the contract and over NATS, and leaves the payout pending', async (_, hidden) => {
    const { 数据堂 } = await vendorOwed1600000();
    const payout = await billing.wallets.requestPayout(数据堂, CNY(1_600_000));
    const reason = `收款账户名称与营业执照不符${hidden}请更新后重新申请`;
    const refused = (() => {
      try {
        validateMessage(RejectPayoutRequest, { payoutId: payout.id, reason });
      } catch (error) {
        return error as ServiceException;
      }
    })();
    expect(refused).toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    expect(refused!.errors).toEqual([{ field: 'reason', problems: [expect.stringMatching(/^reason must not contain/)] }]);

    const rpc = billing.app.get(RpcClient);
    const sent = billing.as(OPERATOR, () => rpc.send(BillingSubjects.rejectPayout, { payoutId: payout.id, reason }, { idempotencyKey: randomUUID() }));
    await expect(sent).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    await expect(sent).rejects.toThrow(/^reason: /);
    expect(await billing.wallets.payout(数据堂, payout.id)).toMatchObject({ status: 'pending', rejectionReason: null });
    // Prose keeps its line breaks and tabs.
    const lines = '1. 收款账户名称不符\n2.\t请更新后重新申请';
    expect(validateMessage(RejectPayoutRequest, { payoutId: payout.id, reason: lines }).reason).toBe(lines);
  });

  it('lets exactly one of a cancellation and an approval racing for the same payout win, with the ledger agreeing', async () => {
    const outcomes = { paid: 0, cancelled: 0 };
    for (let round = 0; round < 8; round++) {
      const { 数据堂 } = await vendorOwed1600000();
      const payout = await billing.wallets.requestPayout(数据堂, CNY(1_200_000));

      const [approval, cancellation] = await Promise.allSettled([billing.wallets.approvePayout(payout.id), billing.wallets.cancelPayout(数据堂, payout.id)]);

      const final = await billing.wallets.payout(数据堂, payout.id);
      const won = [approval, cancellation].filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = [approval, cancellation].find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: CommonErrorCode.INVALID_STATE });
      expect(['paid', 'cancelled']).toContain(final.status);
      outcomes[final.status as 'paid' | 'cancelled']++;
      expect(await payoutEntries(payout.id)).toBe(final.status === 'paid' ? 1 : 0);
      expect(await billing.payable(数据堂.organizationId)).toBe(final.status === 'paid' ? 400_000 : 1_600_000);
    }
    expect(outcomes.paid + outcomes.cancelled).toBe(8);
  });

  it('tells a vendor whose balance a refund after its payout took below zero what it owes, not that 0.00 is left', async () => {
    const 国网 = buyer();
    const 标贝 = vendor();
    await billing.fund(国网, 880_000);
    const sale = order(国网.organizationId, [line(标贝.organizationId, 880_000)]);
    await billing.payments.charge(sale);
    const all = await billing.wallets.requestPayout(标贝, CNY(704_000));
    expect((await billing.wallets.approvePayout(all.id)).status).toBe('paid');
    await billing.payments.refund(sale.orderId);
    expect(await billing.wallets.vendorBalance(标贝)).toMatchObject({ balance: { amount: -704_000, currency: 'CNY' } });

    const refusal = billing.wallets.requestPayout(标贝, CNY(1));

    await expect(refusal).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_EXCEEDS_BALANCE, status: 409 });
    await expect(billing.wallets.requestPayout(标贝, CNY(1))).rejects.toThrow(
      "A payout of 0.01 CNY cannot be paid: the vendor's balance is -7,040.00 CNY, so it owes the platform 7,040.00 CNY (a refund took back money already paid out).",
    );
    await expect(billing.wallets.requestPayout(标贝, CNY(1))).rejects.not.toThrow('0.00 CNY.');
  });

  it('tells an operator approving a payout that the vendor owes money when a refund took its balance below zero meanwhile', async () => {
    const { 数据堂, first, second } = await vendorOwed1600000();
    const paid = await billing.wallets.requestPayout(数据堂, CNY(800_000));
    await billing.wallets.approvePayout(paid.id);
    const waiting = await billing.wallets.requestPayout(数据堂, CNY(800_000));
    await expect(billing.wallets.requestPayout(数据堂, CNY(1))).rejects.toThrow(
      'A payout of 0.01 CNY exceeds what is owed to the vendor and not yet asked for: 0.00 CNY (8,000.00 CNY owed, of which payouts still pending ask for 8,000.00 CNY).',
    );
    await billing.payments.refund(first.orderId);
    await billing.payments.refund(second.orderId);

    await expect(billing.wallets.approvePayout(waiting.id)).rejects.toThrow(
      `Payout ${waiting.id} of 8,000.00 CNY cannot be paid: the vendor's balance is -8,000.00 CNY, so it owes the platform 8,000.00 CNY`,
    );
    expect(await payoutEntries(waiting.id)).toBe(0);
    expect(await billing.payable(数据堂.organizationId)).toBe(-800_000);
  });

  it('keeps the bank account a payout is to be paid to for the operator who pays it; a request without one keeps none', async () => {
    const { 数据堂 } = await vendorOwed1600000();
    const destination = { accountName: '北京数据堂科技有限公司', bankName: '招商银行股份有限公司北京分行', accountNumber: '110902938710601' };
    const named = await billing.wallets.requestPayout(数据堂, { ...CNY(600_000), destination });
    const abroad = await billing.wallets.requestPayout(数据堂, { ...CNY(500_000), destination: { accountName: 'Datatang (HK) Ltd', bankName: 'HSBC Hong Kong', accountNumber: '004123456789001', swift: 'HSBCHKHHHKH' } });
    const unnamed = await billing.wallets.requestPayout(数据堂, CNY(100_000));

    expect(named.destination).toEqual(destination);
    expect(abroad.destination).toMatchObject({ swift: 'HSBCHKHHHKH' });
    expect(unnamed.destination).toBeNull();
    // The vendor reads it back, the operator finds it in the queue, and it stays through approval.
    expect((await billing.wallets.payout(数据堂, named.id)).destination).toEqual(destination);
    const queue = await billing.wallets.listPayouts(OPERATOR, { organization: 数据堂.organizationId, status: 'pending' });
    // (Asked for at the same instant of the test's clock: the queue's order among them is by id.)
    expect(new Map(queue.items.map((p) => [p.id, p.destination?.accountNumber ?? null]))).toEqual(
      new Map([
        [named.id, '110902938710601'],
        [abroad.id, '004123456789001'],
        [unnamed.id, null],
      ]),
    );
    expect((await billing.wallets.approvePayout(named.id)).destination).toEqual(destination);

    // An account the vendor was never paid to is flagged for the operator; one it was paid to is not.
    expect([named.destinationPaidBefore, abroad.destinationPaidBefore, unnamed.destinationPaidBefore]).toEqual([false, false, null]);
    const again = await billing.wallets.requestPayout(数据堂, { ...CNY(100_000), destination });
    expect(again.destinationPaidBefore).toBe(true);
    // The same account written with other spacing or case, or with characters that show nothing,
    // is the same account (compared as vendor names are, `readAsSql`); a name that differs by a
    // letter is not (an `s` was once read as white space: `Mass` was `Mas`).
    const paidAbroad = await billing.wallets.requestPayout(数据堂, { ...CNY(1), destination: { accountName: 'Datatang  Technology Ltd', bankName: 'Mass Trust Bank', accountNumber: '004987654321001', swift: 'HSBCHKHHXXX' } });
    await billing.wallets.approvePayout(paidAbroad.id);
    const paidInGermany = await billing.wallets.requestPayout(数据堂, { ...CNY(1), destination: { accountName: 'Weiß Sprachdaten GmbH', bankName: 'Mass Trust Bank', accountNumber: '004987654321002', swift: 'HSBCHKHH' } });
    await billing.wallets.approvePayout(paidInGermany.id);
    for (const [variant, known] of [
      [{ ...destination, bankName: ' 招商银行股份有限公司北京分行 ' }, true],
      [{ ...destination, accountName: '北京数据堂\u200b科技有限公司\u200e' }, true],
      [{ accountName: 'WEISS SPRACHDATEN GMBH', bankName: 'Mass Trust Bank', accountNumber: '004987654321002', swift: 'HSBCHKHH' }, true],
      [{ accountName: 'DATATANG TECHNOLOGY LTD', bankName: 'Mass  Trust Bank', accountNumber: '004987654321001', swift: 'HSBCHKHH' }, true],
      [{ accountName: 'Datatang Technology Ltd', bankName: 'Mas Trust Bank', accountNumber: '004987654321001', swift: 'HSBCHKHHXXX' }, false],
      [{ accountName: 'Datatang Technology Ltd', bankName: 'Mass Trust Bank', accountNumber: '004987654321001' }, false],
    ] as const) {
      expect([variant, (await billing.wallets.requestPayout(数据堂, { ...CNY(1), destination: variant })).destinationPaidBefore]).toEqual([variant, known]);
    }
    // The number alone vouches for nothing: every number a vendor was paid to is in its payout
    // list, and one number is another account at another bank, for another payee.
    for (const lookalike of [
      { ...destination, accountName: 'Mallory Trading Ltd' },
      { ...destination, bankName: 'Some Offshore Bank' },
      { ...destination, swift: 'MALLHKHH' },
      { accountName: 'Mallory Trading Ltd', bankName: 'Some Offshore Bank', accountNumber: destination.accountNumber, swift: 'MALLHKHH' },
    ]) {
      expect([lookalike, (await billing.wallets.requestPayout(数据堂, { ...CNY(1), destination: lookalike })).destinationPaidBefore]).toEqual([lookalike, false]);
    }
    expect((await billing.wallets.payout(OPERATOR, abroad.id)).destinationPaidBefore).toBe(false);
    // Another vendor asking to be paid to that same account is not vouched for by 数据堂's payouts.
    const { 数据堂: other } = await vendorOwed1600000();
    expect((await billing.wallets.requestPayout(other, { ...CNY(100_000), destination })).destinationPaidBefore).toBe(false);

    // The database holds no half account, whatever writes to it.
    await expect(billing.sql.query(`UPDATE payout SET destination = '{"accountName": "x", "bankName": "y"}' WHERE id = $1`, [unnamed.id])).rejects.toThrow(/payout_destination_check/);
  });

  it('refuses an account it cannot pay to before anything is kept: 400 naming the field, at the contract and over NATS', async () => {
    const complete = { accountName: '北京数据堂科技有限公司', bankName: '招商银行股份有限公司北京分行', accountNumber: '110902938710601' };
    const refusedFields = (destination: object): string[] => {
      try {
        validateMessage(RequestPayoutRequest, { ...CNY(100), destination });
        return [];
      } catch (error) {
        return ((error as ServiceException).errors ?? []).map((e) => e.field);
      }
    };
    for (const [destination, field] of [
      [{ ...complete, accountNumber: '1109 0293 8710 601' }, 'destination.accountNumber'],
      [{ ...complete, accountNumber: '6225-8801-2345' }, 'destination.accountNumber'],
      [{ accountName: complete.accountName, bankName: complete.bankName }, 'destination.accountNumber'],
      [{ ...complete, accountName: '   ' }, 'destination.accountName'],
      [{ ...complete, bankName: '招商银行\u202e行分京北' }, 'destination.bankName'],
      [{ ...complete, swift: 'cmbccnbs' }, 'destination.swift'],
      [{ ...complete, iban: 'DE89370400440532013000' }, 'destination.iban'],
    ] as const) {
      expect({ destination, fields: refusedFields(destination) }).toEqual({ destination, fields: [field] });
    }
    expect(refusedFields(complete)).toEqual([]);

    const { 数据堂 } = await vendorOwed1600000();
    const rpc = billing.app.get(RpcClient);
    const sent = billing.as(数据堂, () => rpc.send(BillingSubjects.requestPayout, { ...CNY(100), destination: { ...complete, accountNumber: '1109 0293' } }, { idempotencyKey: randomUUID() }));
    await expect(sent).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    expect(Number((await billing.sql.query(`SELECT count(*) AS n FROM payout WHERE vendor_organization_id = $1`, [数据堂.organizationId])).rows[0].n)).toBe(0);
  });
});
