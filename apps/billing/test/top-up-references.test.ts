import 'reflect-metadata';
import { BillingSubjects, RecordTopUpRequest, type TopUpView } from '@trove/contracts';
import type { CurrencyCode } from '@trove/licensing';
import { RpcClient } from '@trove/messaging';
import { validateMessage, type Caller, type ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { createDataSource } from '../src/data-source';
import { TopUpReferences1764830000000 } from '../src/migrations/1764830000000-TopUpReferences';
import { TopUpReferencesWithoutBankNames1764940000000 } from '../src/migrations/1764940000000-TopUpReferencesWithoutBankNames';
import { TopUpReferenceLookAlikes1764960000000 } from '../src/migrations/1764960000000-TopUpReferenceLookAlikes';
import { TopUpReferenceSerials1766000000000 } from '../src/migrations/1766000000000-TopUpReferenceSerials';
import { TopUpTransferKeys1766100000000 } from '../src/migrations/1766100000000-TopUpTransferKeys';
import { bankReferenceKey } from '../src/wallets/bank-reference';
import { TopUpRepository } from '../src/wallets/top-up.repository';
import { BillingHarness, buyer, OPERATOR } from './billing-harness';

jest.setTimeout(60_000);

/** A bank statement's serial number, new for each test: 招商银行 CMB-20261130-xxxx. */
const serial = (bank = '招商银行 CMB') => `${bank}-20261130-${randomUUID().slice(0, 6).toUpperCase()}`;

/** The same serial as a careless or full-width keyboard types it. */
function fullWidth(reference: string): string {
  return [...reference].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c === ' ' ? '\u3000' : c)).join('');
}

describe('billing: one bank transfer credits one top-up', () => {
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

  const file = (caller: Caller, amount: number, reference: string, currency: CurrencyCode = 'CNY') => billing.wallets.recordTopUp(caller, { amount: { amount, currency }, reference });
  const entries = async () => Number((await billing.sql.query(`SELECT count(*) AS n FROM journal_entry WHERE kind = 'top_up'`)).rows[0].n);
  const topUpRow = async (id: string) => (await billing.sql.query(`SELECT status, entry_id, confirmed_at FROM top_up WHERE id = $1`, [id])).rows[0];

  it('refuses to confirm a second top-up of a transfer already credited, however its reference is typed, naming the top-up that credited it, and changes nothing', async () => {
    const reference = serial();
    const [国网, 电信, 联通] = [buyer(), buyer(), buyer()];
    const first = await file(国网, 2_000_000, reference);
    // Another buyer (or the same money claimed again) files the same statement line in other spellings.
    const lower = await file(电信, 2_000_000, `  ${reference.toLowerCase().replace(' ', '   ')} `);
    const wide = await file(联通, 2_000_000, fullWidth(reference));
    expect(lower.status).toBe('pending');
    expect(wide.status).toBe('pending');

    await billing.wallets.confirmTopUp(first.id);
    const before = await entries();

    for (const second of [lower, wide]) {
      const refused = billing.wallets.confirmTopUp(second.id);
      await expect(refused).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      await expect(refused).rejects.toThrow(first.id);
      expect(await topUpRow(second.id)).toEqual({ status: 'pending', entry_id: null, confirmed_at: null });
    }
    expect(await entries()).toBe(before);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
    expect(await billing.walletBalance(电信.organizationId)).toBe(0);
    expect(await billing.walletBalance(联通.organizationId)).toBe(0);
    // Confirming the first again is still the same answer, not a clash with itself.
    expect(await billing.wallets.confirmTopUp(first.id)).toMatchObject({ id: first.id, status: 'confirmed' });
  });

  it('credits a transfer once whether its bank is named or not: 招商银行 CMB-20261201-0001 and cmb-20261201-0001 are one transfer, refused naming the top-up that credited it', async () => {
    const code = `CMB-20261201-${randomUUID().slice(0, 4).toUpperCase()}`;
    const 国网 = buyer();
    const 电信 = buyer();
    const first = await file(国网, 2_000_000, `招商银行 ${code}`);
    await billing.wallets.confirmTopUp(first.id);
    const before = await entries();

    // The same buyer files it again without the bank, under a new Idempotency-Key: refused at once.
    const again = file(国网, 2_000_000, code.toLowerCase());
    await expect(again).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    await expect(file(国网, 2_000_000, code.toLowerCase())).rejects.toThrow(first.id);
    await expect(file(国网, 2_000_000, `China Merchants Bank ${code}`)).rejects.toThrow(first.id);
    // Another buyer's filing is taken (it learns nothing), and its confirmation refused, naming the first.
    const claim = await file(电信, 2_000_000, `招行：${code}`);
    await expect(billing.wallets.confirmTopUp(claim.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(first.id) });
    expect(await entries()).toBe(before);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
    expect(await billing.walletBalance(电信.organizationId)).toBe(0);

    // A transfer of another code is another transfer, with its bank named or not.
    const next = await file(国网, 2_000_000, `招商银行 ${code}-2`);
    expect((await billing.wallets.confirmTopUp(next.id)).status).toBe('confirmed');
    // One character apart (the code is random: its last character may be a 9 already).
    const other = await file(国网, 2_000_000, `${code.slice(0, -1)}${code.endsWith('9') ? '8' : '9'}`);
    expect((await billing.wallets.confirmTopUp(other.id)).status).toBe('confirmed');
    expect(await billing.walletBalance(国网.organizationId)).toBe(6_000_000);
  });

  it('credits a transfer once however its letters and dashes are typed: СМВ-20261130-0042 (Cyrillic С М В) and CMB‐20261130‐0042 (U+2010) are the CMB-20261130-0042 credited already', async () => {
    const digits = randomUUID().replace(/\D/g, '').slice(0, 4).padEnd(4, '7');
    const code = `CMB-20261130-${digits}`;
    const [国网, 电信] = [buyer(), buyer()];
    const first = await file(国网, 2_000_000, code);
    await billing.wallets.confirmTopUp(first.id);
    const before = await entries();

    // The same buyer files it again on a Russian keyboard layout, or pasted with other dashes: refused at once, naming the first.
    const dashes = ['\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\ufe58', '\ufe63', '\uff0d'];
    const spellings = [`СМВ-20261130-${digits}`, `смв-20261130-${digits}`, `招商银行 СМВ-20261130-${digits}`, ...dashes.map((dash) => `CMB${dash}20261130${dash}${digits}`)];
    for (const spelling of spellings) {
      const again = file(国网, 2_000_000, spelling);
      await expect(again).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      await expect(again).rejects.toThrow(first.id);
    }
    // Another buyer's filing is taken (it learns nothing), and its confirmation refused, naming the first.
    const claim = await file(电信, 2_000_000, `СМВ\u201320261130\u2013${digits}`);
    await expect(billing.wallets.confirmTopUp(claim.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(first.id) });
    expect(await topUpRow(claim.id)).toEqual({ status: 'pending', entry_id: null, confirmed_at: null });
    expect(await entries()).toBe(before);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
    expect(await billing.walletBalance(电信.organizationId)).toBe(0);

    // Chinese in a reference is kept as it is (`一` is no dash), around a serial typed either way.
    const remarked = await file(国网, 300_000, `招商银行 CMB-20261201-${digits} 货款（一）`);
    expect((await billing.wallets.confirmTopUp(remarked.id)).status).toBe('confirmed');
    await expect(file(国网, 300_000, `招商银行 СМВ–20261201–${digits} 货款(一)`)).rejects.toThrow(remarked.id);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_300_000);
  });

  it('credits a serial once whatever its currency: the HKD top-up of a serial credited in CNY is refused at confirmation and at its buyer\'s filing, naming the CNY one; a serial one character apart is another transfer', async () => {
    const reference = serial('中国银行(香港) BOCHK');
    const [腾讯, 阿里] = [buyer(), buyer()];
    const cny = await file(腾讯, 500_000, reference);
    // Filed again in another currency before either is confirmed: taken, as a corrected amount is.
    const hkd = await file(腾讯, 500_000, reference, 'HKD');
    const next = await file(腾讯, 500_000, `${reference}1`);
    await billing.wallets.confirmTopUp(cny.id);
    const before = await entries();

    const refused = billing.wallets.confirmTopUp(hkd.id);
    await expect(refused).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    await expect(refused).rejects.toThrow(cny.id);
    expect(await topUpRow(hkd.id)).toEqual({ status: 'pending', entry_id: null, confirmed_at: null });
    // The buyer files it again in HKD, typed otherwise: refused at once, as in CNY.
    const again = file(腾讯, 500_000, fullWidth(reference.toLowerCase()), 'HKD');
    await expect(again).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    await expect(again).rejects.toThrow(cny.id);
    await expect(again).rejects.toThrow('(5,000.00 CNY, confirmed');
    // Another buyer's HKD filing is taken (it learns nothing), and refused at confirmation.
    const claim = await file(阿里, 500_000, reference, 'HKD');
    await expect(billing.wallets.confirmTopUp(claim.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(cny.id) });
    expect(await entries()).toBe(before);

    await billing.wallets.confirmTopUp(next.id);
    expect(await billing.walletBalance(腾讯.organizationId)).toBe(1_000_000);
    expect(await billing.walletBalance(腾讯.organizationId, 'HKD')).toBe(0);
    expect(await billing.walletBalance(阿里.organizationId, 'HKD')).toBe(0);
  });

  it('lets one of several operators confirming top-ups of one serial in CNY and HKD at the same moment credit it, and refuses the others', async () => {
    for (let round = 0; round < 3; round++) {
      const reference = serial('中国银行(香港) BOCHK');
      const buyers = Array.from({ length: 6 }, () => buyer());
      const topUps: TopUpView[] = [];
      for (const [i, b] of buyers.entries()) topUps.push(await file(b, 880_000, reference, i % 2 ? 'HKD' : 'CNY'));

      const outcomes = await Promise.allSettled(topUps.map((t) => billing.wallets.confirmTopUp(t.id)));

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      let credited = 0;
      for (const b of buyers) credited += (await billing.walletBalance(b.organizationId)) + (await billing.walletBalance(b.organizationId, 'HKD'));
      expect(credited).toBe(880_000);
    }
  });

  it('lets one of several operators confirming top-ups of one transfer at the same moment credit it, and refuses the others', async () => {
    for (let round = 0; round < 5; round++) {
      const reference = serial('工商银行 ICBC');
      const buyers = Array.from({ length: 6 }, () => buyer());
      const topUps: TopUpView[] = [];
      for (const [i, b] of buyers.entries()) topUps.push(await file(b, 880_000, i % 2 ? reference.toLowerCase() : reference));
      const before = await entries();

      const outcomes = await Promise.allSettled(topUps.map((t) => billing.wallets.confirmTopUp(t.id)));

      const confirmed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error & { code: string }] : []));
      expect(confirmed).toHaveLength(1);
      expect(refused).toHaveLength(5);
      for (const error of refused) {
        expect(error).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
        expect(error.message).toContain(confirmed[0].id);
      }
      expect(await entries()).toBe(before + 1);
      const balances: number[] = [];
      for (const b of buyers) balances.push(await billing.walletBalance(b.organizationId));
      expect(balances.sort((a, b) => b - a)).toEqual([880_000, 0, 0, 0, 0, 0]);
    }
  });

  it('keeps the rule in the database itself: two transactions confirming one transfer at once, without the service, cannot both commit', async () => {
    const reference = serial();
    const [a, b] = [buyer(), buyer()];
    const credited = await file(a, 100_000, serial());
    await billing.wallets.confirmTopUp(credited.id);
    const entryId = (await billing.sql.query(`SELECT entry_id FROM top_up WHERE id = $1`, [credited.id])).rows[0].entry_id as string;
    const first = await file(a, 300_000, reference);
    const second = await file(b, 300_000, ` ${reference.toLowerCase()} `);
    const [one, two] = [new Client({ connectionString: billing.db.url }), new Client({ connectionString: billing.db.url })];
    await one.connect();
    await two.connect();
    try {
      // The entry is borrowed from another top-up: only the top-up rows are under test here.
      const confirm = (client: Client, id: string) => client.query(`UPDATE top_up SET status = 'confirmed', entry_id = $2, confirmed_at = now() WHERE id = $1`, [id, entryId]);
      await one.query('BEGIN');
      await two.query('BEGIN');
      await confirm(one, first.id);
      const racing = confirm(two, second.id).then(
        () => 'confirmed',
        (error: { constraint?: string }) => error.constraint,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await one.query('COMMIT');
      expect(await racing).toBe('top_up_transfer_credited_once');
      await two.query('ROLLBACK');
      expect(await topUpRow(second.id)).toMatchObject({ status: 'pending' });
    } finally {
      await one.end();
      await two.end();
    }
  });

  it('takes one filing of a double submit sent under two keys at the same moment, and refuses the other', async () => {
    const reference = serial('交通银行 BOCOM');
    const 京东 = buyer();
    const outcomes = await Promise.allSettled([file(京东, 990_000, reference), file(京东, 990_000, reference), file(京东, 990_000, ` ${reference} `)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TOP_UP_ALREADY_FILED', status: 409 });
  });

  it("refuses a buyer's second filing of a transfer it filed already (a double submit) or that was credited already, and names its own top-up", async () => {
    const reference = serial();
    const 智谱 = buyer();
    const filed = await file(智谱, 5_000_000, reference);
    const rows = async () => Number((await billing.sql.query(`SELECT count(*) AS n FROM top_up WHERE organization_id = $1`, [智谱.organizationId])).rows[0].n);

    const twice = file(智谱, 5_000_000, fullWidth(reference.toLowerCase()));
    await expect(twice).rejects.toMatchObject({ code: 'TOP_UP_ALREADY_FILED', status: 409 });
    await expect(twice).rejects.toThrow(filed.id);
    // The amount as a person reads it, not 5000000 "CNY" (a hundred times more).
    await expect(twice).rejects.toThrow('of 50,000.00 CNY was filed already');
    expect(await rows()).toBe(1);

    await billing.wallets.confirmTopUp(filed.id);
    const afterCredit = file(智谱, 1_200_000, reference);
    await expect(afterCredit).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    await expect(afterCredit).rejects.toThrow(filed.id);
    expect(await rows()).toBe(1);
    expect(await billing.walletBalance(智谱.organizationId)).toBe(5_000_000);
  });

  it('lets a buyer file a pending transfer again with the amount corrected, and the operator credit only one of the two', async () => {
    const reference = serial('建设银行 CCB');
    const 百度 = buyer();
    const mistyped = await file(百度, 12_800, reference); // 128.00 yuan where 12,800.00 was sent
    const corrected = await file(百度, 1_280_000, reference);
    expect(corrected.status).toBe('pending');
    await billing.wallets.confirmTopUp(corrected.id);
    await expect(billing.wallets.confirmTopUp(mistyped.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
    expect(await billing.walletBalance(百度.organizationId)).toBe(1_280_000);
  });

  it("never tells a buyer that another organization filed or was credited with the same reference: that clash is the operator's, at confirmation", async () => {
    const reference = serial();
    const [owner, other, third] = [buyer(), buyer(), buyer()];
    const genuine = await file(owner, 2_000_000, reference);
    const pending = await file(other, 2_000_000, reference);
    expect(pending).toMatchObject({ status: 'pending', reference });
    expect(JSON.stringify(pending)).not.toContain(genuine.id);
    await billing.wallets.confirmTopUp(genuine.id);
    const afterCredit = await file(third, 2_000_000, reference.toLowerCase());
    expect(afterCredit).toMatchObject({ status: 'pending' });
    expect(JSON.stringify(afterCredit)).not.toContain(genuine.id);
    await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toThrow(genuine.id);
  });

  it('answers a top-up sent again with the same idempotency key with the same top-up, even once its transfer is credited, and refuses it with a new key', async () => {
    const rpc = billing.app.get(RpcClient);
    const 商汤 = buyer();
    const body = { amount: { amount: 3_000_000, currency: 'CNY' as const }, reference: serial('农业银行 ABC') };
    const key = randomUUID();
    const send = (idempotencyKey: string) => billing.as(商汤, () => rpc.send(BillingSubjects.recordTopUp, body, { idempotencyKey }));

    const first = await send(key);
    expect(await send(key)).toEqual(first);
    await billing.as(OPERATOR, () => rpc.send(BillingSubjects.confirmTopUp, { topUpId: first.id }, { idempotencyKey: randomUUID() }));
    expect(await send(key)).toEqual(first);
    await expect(send(randomUUID())).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    expect(Number((await billing.sql.query(`SELECT count(*) AS n FROM top_up WHERE organization_id = $1`, [商汤.organizationId])).rows[0].n)).toBe(1);
  });

  it('answers the operator over NATS with 409 TRANSFER_ALREADY_CREDITED and the earlier top-up in the detail', async () => {
    const rpc = billing.app.get(RpcClient);
    const reference = serial();
    const [a, b] = [buyer(), buyer()];
    const first = await file(a, 66_600, reference);
    const second = await file(b, 66_600, reference);
    const confirm = (topUpId: string) => billing.as(OPERATOR, () => rpc.send(BillingSubjects.confirmTopUp, { topUpId }, { idempotencyKey: randomUUID() }));
    await confirm(first.id);
    const refused = confirm(second.id);
    await expect(refused).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
    await expect(refused).rejects.toThrow(first.id);
  });

  it('refuses a reference naming a second serial (another transfer, a contract number) beside its own: 400 naming `reference` and the serials, nothing filed, so a credited transfer cannot come back beside another number', async () => {
    const digits = fourDigits();
    const credited = `ICBC-20261208-${digits}`;
    const 国网 = buyer();
    const first = await file(国网, 2_000_000, `工商银行 ${credited}`);
    await billing.wallets.confirmTopUp(first.id);
    for (const reference of [`${credited}（合同号 2026120801）`, `${credited}；ICBC-20261208-${digits}9`, `CMB-20261207-0042；${credited}`]) {
      const refused = file(国网, 2_000_000, reference);
      await expect(refused).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400, errors: [{ field: 'reference', problems: [expect.stringContaining('a top-up is one transfer')] }] });
      await expect(refused).rejects.toThrow(`icbc20261208${digits}`);
    }
    // The same serial written twice is one transfer, and the credited one.
    await expect(file(国网, 2_000_000, `${credited} / ${credited}`)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
    expect((await billing.sql.query(`SELECT id FROM top_up WHERE organization_id = $1`, [国网.organizationId])).rows).toEqual([{ id: first.id }]);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
  });

  it('holds a top-up filed before one transfer per top-up was the rule, naming two serials, to each of them: it credits neither again, in either order, and a serial it credited is not credited again alone', async () => {
    const [a, b, c] = [`cmb20261207${fourDigits()}1`, `cmb20261207${fourDigits()}2`, `cmb20261207${fourDigits()}3`];
    const [国网, 电信, 联通, 移动] = [buyer(), buyer(), buyer(), buyer()];
    /** A pending top-up as one filed before the rule: its reference names both serials. */
    const filedBefore = async (caller: Caller, serials: string[]) => {
      const topUp = await file(caller, 500_000, serials[0].toUpperCase());
      await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3, transfer_keys = $4 WHERE id = $1`, [topUp.id, serials.map((x) => x.toUpperCase()).join('；'), [...serials].sort().join(', '), [...serials].sort()]);
      return topUp;
    };
    const single = await file(国网, 500_000, a.toUpperCase());
    const both = await filedBefore(电信, [b, a]);
    const other = await filedBefore(联通, [b, c]);
    await billing.wallets.confirmTopUp(single.id);
    // `B；A` shares A with the credited top-up: refused, naming it, and nothing posted.
    await expect(billing.wallets.confirmTopUp(both.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(single.id) });
    expect(await topUpRow(both.id)).toMatchObject({ status: 'pending', entry_id: null });
    // `B；C` shares nothing credited yet: credited; then C alone, filed by another buyer, is not.
    await billing.wallets.confirmTopUp(other.id);
    const alone = await file(移动, 500_000, `招商银行 ${c.toUpperCase()}`);
    await expect(billing.wallets.confirmTopUp(alone.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(other.id) });
    // Its own buyer filing C again is told it is credited.
    await expect(file(联通, 500_000, c.toUpperCase())).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
    for (const [who, balance] of [[国网, 500_000], [电信, 0], [联通, 500_000], [移动, 0]] as const) expect(await billing.walletBalance(who.organizationId)).toBe(balance);
  });

  it('refuses a reference of white space alone: nothing on a bank statement to match', async () => {
    await expect(file(buyer(), 100, ' \u3000 ')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
  });

  /** What a copy from a bank's app or a crafted request can hide in a reference, each invisible to the operator. */
  const HIDDEN: [string, string][] = [
    ['a zero-width space', '\u200b'],
    ['a word joiner', '\u2060'],
    ['a soft hyphen', '\u00ad'],
    ['a byte order mark', '\ufeff'],
    ['a next line (C1 control)', '\u0085'],
    ['a zero-width joiner', '\u200d'],
    ['a left-to-right mark', '\u200e'],
    ['a right-to-left override', '\u202e'],
    ['a line separator', '\u2028'],
    ['a Mongolian vowel separator', '\u180e'],
    ['a variation selector', '\ufe0f'],
    ['a Hangul filler', '\u3164'],
    ['a tag character', '\u{e0041}'],
    ['a tab', '\t'],
  ];

  it.each(HIDDEN)("refuses a reference holding %s (400 naming `reference` and the code point), so one transfer cannot be filed twice looking the same", (_, hidden) => {
    const reference = `CMB-20261130-0042${hidden}`;
    const refused = (() => {
      try {
        validateMessage(RecordTopUpRequest, { amount: { amount: 2_000_000, currency: 'CNY' }, reference });
      } catch (error) {
        return error as ServiceException;
      }
    })();
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(refused!.errors).toEqual([{ field: 'reference', problems: [expect.stringContaining(`U+${hidden.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)] }]);
    // In the middle of the serial as well as after it.
    expect(() => validateMessage(RecordTopUpRequest, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: `CMB-2026${hidden}1130-0042` })).toThrow(/^reference: /);
  });

  it('takes the references buyers write: Chinese remarks, full-width forms, punctuation', () => {
    for (const reference of ['招商银行 CMB-20261130-0042 货款', '工行：ICBC-20261130-0042（数据采购款）', fullWidth('CMB-20261130-0042'), '中国农业银行 ABC/2026-11-30 #0042', 'Bank of China, BOC-0042 · 货款']) {
      expect(validateMessage(RecordTopUpRequest, { amount: { amount: 2_000_000, currency: 'CNY' }, reference }).reference).toBe(reference);
    }
  });

  it('files a transfer once over the bus: the same serial with a zero-width space after it is refused before anything is filed', async () => {
    const rpc = billing.app.get(RpcClient);
    const 寒武纪 = buyer();
    const reference = serial();
    const send = (ref: string) =>
      billing.as(寒武纪, () => rpc.send(BillingSubjects.recordTopUp, { amount: { amount: 1_500_000, currency: 'CNY' as const }, reference: ref }, { idempotencyKey: randomUUID() }));
    const first = await send(reference);
    await expect(send(`${reference}\u200b`)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    await expect(send(`\ufeff${reference}`)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    await billing.as(OPERATOR, () => rpc.send(BillingSubjects.confirmTopUp, { topUpId: first.id }, { idempotencyKey: randomUUID() }));
    await expect(send(`${reference}\u2060`)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((await billing.sql.query(`SELECT id FROM top_up WHERE organization_id = $1`, [寒武纪.organizationId])).rows).toEqual([{ id: first.id }]);
    expect(await billing.walletBalance(寒武纪.organizationId)).toBe(1_500_000);
  });
});

/** Billing without the transfer's lock: only the database stands between two confirmations. */
class TopUpsWithoutTheLock extends TopUpRepository {
  override async lockTransfers(): Promise<void> {}
}

describe('billing: the database alone decides confirmations racing for one transfer', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start([{ provide: TopUpRepository, useValue: new TopUpsWithoutTheLock() }]);
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it('credits the transfer once even when the service does not serialise the confirmations, and answers the others 409', async () => {
    let lostToTheIndex = 0;
    for (let round = 0; round < 5; round++) {
      const reference = serial('工商银行 ICBC');
      const buyers = Array.from({ length: 6 }, () => buyer());
      const topUps: TopUpView[] = [];
      for (const b of buyers) topUps.push(await billing.wallets.recordTopUp(b, { amount: { amount: 450_000, currency: 'CNY' }, reference }));

      const outcomes = await Promise.allSettled(topUps.map((t) => billing.wallets.confirmTopUp(t.id)));

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      lostToTheIndex += outcomes.filter((o) => o.status === 'rejected' && String(o.reason.message).includes('at the same moment')).length;
      const balances: number[] = [];
      for (const b of buyers) balances.push(await billing.walletBalance(b.organizationId));
      expect(balances.sort((a, b) => b - a)).toEqual([450_000, 0, 0, 0, 0, 0]);
    }
    // The race was real: some confirmations got past the service's look-up and were stopped by the index.
    expect(lostToTheIndex).toBeGreaterThan(0);
    expect(await billing.violations()).toEqual([]);
  });
  it('credits each serial once when top-ups filed before the rule name several and share one, even when the service does not serialise the confirmations: the trigger takes each serial\'s turn', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b, c] = [`cmb20261207${fourDigits()}1`, `cmb20261207${fourDigits()}2`, `cmb20261207${fourDigits()}3`];
      const shapes = [[a, b], [b], [b, c], [c, a]];
      const buyers = shapes.map(() => buyer());
      const topUps: TopUpView[] = [];
      for (const [i, serials] of shapes.entries()) {
        const topUp = await billing.wallets.recordTopUp(buyers[i], { amount: { amount: 450_000, currency: 'CNY' }, reference: serials[0].toUpperCase() });
        await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3, transfer_keys = $4 WHERE id = $1`, [topUp.id, serials.join('；'), [...serials].sort().join(', '), [...serials].sort()]);
        topUps.push(topUp);
      }

      const outcomes = await Promise.allSettled(topUps.map((t) => billing.wallets.confirmTopUp(t.id)));

      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      const { rows } = await billing.sql.query(`SELECT transfer_keys FROM top_up WHERE id = ANY($1) AND status = 'confirmed'`, [topUps.map((t) => t.id)]);
      const credited = rows.flatMap((r: { transfer_keys: string[] }) => r.transfer_keys);
      // No serial credited twice, and at least one top-up credited.
      expect(new Set(credited).size).toBe(credited.length);
      expect(rows.length).toBeGreaterThan(0);
    }
    expect(await billing.violations()).toEqual([]);
  });

  it('credits a serial once across currencies even when the service does not serialise the confirmations: the index holds the reference key whatever the currency', async () => {
    for (let round = 0; round < 5; round++) {
      const reference = serial('中国银行(香港) BOCHK');
      const buyers = Array.from({ length: 6 }, () => buyer());
      const topUps: TopUpView[] = [];
      for (const [i, b] of buyers.entries()) topUps.push(await billing.wallets.recordTopUp(b, { amount: { amount: 450_000, currency: i % 2 ? 'HKD' : 'CNY' }, reference }));

      const outcomes = await Promise.allSettled(topUps.map((t) => billing.wallets.confirmTopUp(t.id)));

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', status: 409 });
      expect(Number((await billing.sql.query(`SELECT count(*) AS n FROM top_up WHERE id = ANY($1) AND status = 'confirmed'`, [topUps.map((t) => t.id)])).rows[0].n)).toBe(1);
    }
    expect(await billing.violations()).toEqual([]);
  });
});

describe('billing: the migration that gives top-ups their reference key', () => {
  it('fills the key of earlier top-ups, leaves transfers credited twice before it as they are (marked), and holds every later confirmation to the rule', async () => {
    await withOwnBilling(async (billing, dataSource) => {
      const reference = serial();
      const [国网, 电信, 联通, 移动] = [buyer(), buyer(), buyer(), buyer()];
      // Before the rule, one transfer was confirmed for two buyers, and a third filed it too.
      const ids: string[] = [];
      for (const b of [国网, 电信]) {
        billing.clock.set(new Date(Date.UTC(2026, 2, 15, 2, ids.length)));
        ids.push(await billing.fund(b, 700_000));
      }
      const pending = await billing.wallets.recordTopUp(联通, { amount: { amount: 700_000, currency: 'CNY' }, reference: serial() });
      billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
      await dataSource.initialize();
      const migration = new TopUpReferences1764830000000();
      const runner = dataSource.createQueryRunner();
      await down(runner, migration);
      await billing.sql.query(`UPDATE top_up SET reference = $2 WHERE id = $1`, [ids[0], reference]);
      await billing.sql.query(`UPDATE top_up SET reference = $2 WHERE id = $1`, [ids[1], ` ${fullWidth(reference.toLowerCase())}`]);
      await billing.sql.query(`UPDATE top_up SET reference = $2 WHERE id = $1`, [pending.id, reference.toUpperCase()]);

      await up(runner, migration);
      await runner.release();

      const rows = (await billing.sql.query(`SELECT id, reference_key, double_credit_of FROM top_up WHERE id = ANY($1) ORDER BY confirmed_at NULLS LAST`, [[...ids, pending.id]])).rows;
      const key = bankReferenceKey(reference);
      expect(rows).toEqual([
        { id: ids[0], reference_key: key, double_credit_of: null },
        { id: ids[1], reference_key: key, double_credit_of: ids[0] },
        { id: pending.id, reference_key: key, double_credit_of: null },
      ]);
      // The money stays where it went; the operator finds the double credit by its mark.
      expect(await billing.walletBalance(电信.organizationId)).toBe(700_000);
      await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(ids[0]) });
      const late = await billing.wallets.recordTopUp(移动, { amount: { amount: 700_000, currency: 'CNY' }, reference });
      await expect(billing.wallets.confirmTopUp(late.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
      // No later top-up can join the exemption.
      await expect(billing.sql.query(`UPDATE top_up SET double_credit_of = $2 WHERE id = $1`, [pending.id, ids[0]])).rejects.toMatchObject({
        constraint: 'top_up_double_credit_of_frozen',
      });
      expect(await billing.violations()).toEqual([]);
    });
  });
});

describe('billing: the migration that takes bank names out of reference keys', () => {
  it('keys every top-up again, keeps both of a transfer credited twice (one with its bank named, one without) and marks the later, and holds later confirmations to the rule', async () => {
    await withOwnBilling(async (billing, dataSource) => {
      const code = `CMB-20261201-${randomUUID().slice(0, 4).toUpperCase()}`;
      const [国网, 电信, 联通] = [buyer(), buyer(), buyer()];
      // Before the migration: one transfer confirmed for two buyers, keyed apart by the bank's name; a third filed it too.
      const ids: string[] = [];
      for (const b of [国网, 电信]) {
        billing.clock.set(new Date(Date.UTC(2026, 11, 1, 2, ids.length)));
        ids.push(await billing.fund(b, 2_000_000));
      }
      const pending = await billing.wallets.recordTopUp(联通, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: serial() });
      const other = await billing.wallets.recordTopUp(联通, { amount: { amount: 500_000, currency: 'CNY' }, reference: serial('中国银行 BOC') });
      billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
      await dataSource.initialize();
      const runner = dataSource.createQueryRunner();
      await undoLater(runner);
      const asFiled = [
        [ids[0], `招商银行 ${code}`, `招商银行 ${code.toLowerCase()}`],
        [ids[1], code.toLowerCase(), code.toLowerCase()],
        [pending.id, `China Merchants Bank ${code}`, `china merchants bank ${code.toLowerCase()}`],
      ];
      for (const [id, reference, key] of asFiled) await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3 WHERE id = $1`, [id, reference, key]);
      await billing.sql.query(`UPDATE top_up SET reference_key = $2 WHERE id = $1`, [other.id, other.reference.toLowerCase()]);
      const migration = new TopUpReferencesWithoutBankNames1764940000000();

      await up(runner, migration);

      const keys = () => keysAndMarks(billing, [...ids, pending.id, other.id]);
      const key = bankReferenceKey(code);
      const migrated = {
        [ids[0]]: { key, mark: null },
        [ids[1]]: { key, mark: ids[0] },
        [pending.id]: { key, mark: null },
        [other.id]: { key: bankReferenceKey(other.reference), mark: null },
      };
      expect(await keys()).toEqual(migrated);
      // The money stays where it went; the operator finds the double credit by its mark.
      expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
      expect(await billing.walletBalance(电信.organizationId)).toBe(2_000_000);
      await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(ids[0]) });
      expect((await billing.wallets.confirmTopUp(other.id)).status).toBe('confirmed');
      await expect(billing.sql.query(`UPDATE top_up SET double_credit_of = $2 WHERE id = $1`, [pending.id, ids[0]])).rejects.toMatchObject({
        constraint: 'top_up_double_credit_of_frozen',
      });

      // Down and up again: the bank names come back into the keys, and go again, with the same marks.
      await down(runner, migration);
      const typed = code.toLowerCase();
      expect(await keys()).toEqual({
        [ids[0]]: { key: `招商银行 ${typed}`, mark: null },
        [ids[1]]: { key: typed, mark: ids[0] },
        [pending.id]: { key: `china merchants bank ${typed}`, mark: null },
        [other.id]: { key: other.reference.toLowerCase(), mark: null },
      });
      await up(runner, migration);
      await runner.release();
      expect(await keys()).toEqual(migrated);
      expect(await billing.violations()).toEqual([]);
    });
  });
});

describe('billing: the migration that folds look-alikes into reference keys and keys a transfer whatever its currency', () => {
  it('keys every top-up again, keeps every top-up of a transfer credited twice (as CMB-, as Cyrillic СМВ–, or in HKD) and marks the later ones, and holds later confirmations to the rule', async () => {
    await withOwnBilling(async (billing, dataSource) => {
      const digits = fourDigits();
      const key = bankReferenceKey(`CMB-20261130-${digits}`);
      const [国网, 电信, 联通, 腾讯] = [buyer(), buyer(), buyer(), buyer()];
      // Before the migration: one transfer confirmed for two buyers, keyed apart by its look-alikes,
      // and for a third in HKD; a fourth filed it too.
      const ids: string[] = [];
      for (const [b, currency] of [[国网, 'CNY'], [电信, 'CNY'], [腾讯, 'HKD']] as const) {
        billing.clock.set(new Date(Date.UTC(2026, 10, 30, 2, ids.length)));
        ids.push(await billing.fund(b, 2_000_000, currency));
      }
      const pending = await billing.wallets.recordTopUp(联通, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: serial() });
      const other = await billing.wallets.recordTopUp(联通, { amount: { amount: 500_000, currency: 'CNY' }, reference: serial('中国银行 BOC') });
      billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
      await dataSource.initialize();
      const migration = new TopUpReferenceLookAlikes1764960000000();
      const runner = dataSource.createQueryRunner();
      // The database as it was before the migration: keyed with the look-alikes, and per currency.
      await down(runner, migration);
      const asFiled = [
        [ids[0], `招商银行 CMB-20261130-${digits}`, key],
        [ids[1], `СМВ\u201320261130\u2013${digits}`, `смв\u201320261130\u2013${digits}`],
        [ids[2], `CMB-20261130-${digits}`, key],
        [pending.id, `CMB\u221220261130\u2212${digits}`, `cmb\u221220261130\u2212${digits}`],
      ];
      for (const [id, reference, oldKey] of asFiled) await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3 WHERE id = $1`, [id, reference, oldKey]);

      await up(runner, migration);

      const keys = () => keysAndMarks(billing, [...ids, pending.id, other.id]);
      const otherKey = bankReferenceKey(other.reference);
      const migrated = {
        [ids[0]]: { key, mark: null },
        [ids[1]]: { key, mark: ids[0] },
        [ids[2]]: { key, mark: ids[0] },
        [pending.id]: { key, mark: null },
        [other.id]: { key: otherKey, mark: null },
      };
      expect(await keys()).toEqual(migrated);
      // The money stays where it went; the operator finds the double credits by their marks.
      expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);
      expect(await billing.walletBalance(电信.organizationId)).toBe(2_000_000);
      expect(await billing.walletBalance(腾讯.organizationId, 'HKD')).toBe(2_000_000);
      await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(ids[0]) });
      await expect(billing.sql.query(`UPDATE top_up SET double_credit_of = $2 WHERE id = $1`, [pending.id, ids[0]])).rejects.toMatchObject({
        constraint: 'top_up_double_credit_of_frozen',
      });

      // Down and up again: the look-alikes come back into the keys, and go again, with the same marks.
      await down(runner, migration);
      // (The keys of its time, before serials were keyed alone.)
      const typed = `cmb-20261130-${digits}`;
      expect(await keys()).toEqual({
        [ids[0]]: { key: typed, mark: null },
        [ids[1]]: { key: `смв\u201320261130\u2013${digits}`, mark: ids[0] },
        [ids[2]]: { key: typed, mark: ids[0] },
        [pending.id]: { key: `cmb\u221220261130\u2212${digits}`, mark: null },
        [other.id]: { key: other.reference.slice('中国银行 '.length).toLowerCase(), mark: null },
      });
      await up(runner, migration);
      await runner.release();
      expect(await keys()).toEqual(migrated);
      expect((await billing.wallets.confirmTopUp(other.id)).status).toBe('confirmed');
      // The index itself holds the key whatever the currency: an HKD top-up of the CNY serial cannot be confirmed behind billing's back.
      const hkd = await billing.wallets.recordTopUp(腾讯, { amount: { amount: 500_000, currency: 'HKD' }, reference: other.reference });
      await expect(billing.sql.query(`UPDATE top_up SET status = 'confirmed', entry_id = (SELECT entry_id FROM top_up WHERE id = $2), confirmed_at = now() WHERE id = $1`, [hkd.id, other.id])).rejects.toMatchObject({
        constraint: 'top_up_transfer_credited_once',
      });
      expect(await billing.violations()).toEqual([]);
    });
  });
});

describe('billing: the migration that keys a reference holding a serial by the serial alone', () => {
  it('keys every top-up again, keeps every top-up of a transfer credited twice (as typed with a label, a remark, spaces or an O for a 0) and marks the later ones, and holds later confirmations to the rule', async () => {
    await withOwnBilling(async (billing, dataSource) => {
      const digits = fourDigits();
      const serialKey = `cmb20261108${digits}`;
      const [国网, 电信, 联通, 腾讯] = [buyer(), buyer(), buyer(), buyer()];
      // Before the migration: one transfer confirmed for three buyers, keyed apart by how each typed it; a fourth filed it too.
      const ids: string[] = [];
      for (const b of [国网, 电信, 腾讯]) {
        billing.clock.set(new Date(Date.UTC(2026, 10, 8, 2, ids.length)));
        ids.push(await billing.fund(b, 2_000_000));
      }
      const pending = await billing.wallets.recordTopUp(联通, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: serial() });
      const short = await billing.wallets.recordTopUp(联通, { amount: { amount: 500_000, currency: 'CNY' }, reference: 'CMB-0042 货款' });
      billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
      await dataSource.initialize();
      const migration = new TopUpReferenceSerials1766000000000();
      const runner = dataSource.createQueryRunner();
      await down(runner, migration);
      const asFiled = [
        [ids[0], `招商银行 CMB-20261108-${digits}`, `cmb-20261108-${digits}`],
        [ids[1], `Ref: CMB-20261108-${digits}.`, `ref: cmb-20261108-${digits}.`],
        [ids[2], `CMB 20261108 ${digits} 货款`, `20261108 ${digits} 货款`],
        [pending.id, `CMB-2O261108-${digits}`, `cmb-2o261108-${digits}`],
      ];
      for (const [id, reference, oldKey] of asFiled) await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3 WHERE id = $1`, [id, reference, oldKey]);
      const oldKeys = Object.fromEntries(asFiled.map(([id, , oldKey]) => [id, oldKey]));

      await up(runner, migration);

      const keys = () => keysAndMarks(billing, [...ids, pending.id, short.id]);
      const migrated = {
        [ids[0]]: { key: serialKey, mark: null },
        [ids[1]]: { key: serialKey, mark: ids[0] },
        [ids[2]]: { key: serialKey, mark: ids[0] },
        [pending.id]: { key: serialKey, mark: null },
        // No serial (four digits): keyed whole, as before.
        [short.id]: { key: 'cmb-0042 货款', mark: null },
      };
      expect(await keys()).toEqual(migrated);
      // The money stays where it went; the operator finds the double credits by their marks.
      for (const b of [国网, 电信, 腾讯]) expect(await billing.walletBalance(b.organizationId)).toBe(2_000_000);
      await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(ids[0]) });
      expect(await topUpStatus(billing, pending.id)).toBe('pending');

      // Down and up again: the keys as typed come back, the marks stay, and up keys them alike again.
      await down(runner, migration);
      expect(await keys()).toEqual({
        [ids[0]]: { key: oldKeys[ids[0]], mark: null },
        [ids[1]]: { key: oldKeys[ids[1]], mark: ids[0] },
        [ids[2]]: { key: oldKeys[ids[2]], mark: ids[0] },
        [pending.id]: { key: oldKeys[pending.id], mark: null },
        [short.id]: { key: 'cmb-0042 货款', mark: null },
      });
      await up(runner, migration);
      await runner.release();
      expect(await keys()).toEqual(migrated);
      expect((await billing.wallets.confirmTopUp(short.id)).status).toBe('confirmed');
      // A buyer filing the credited serial again in yet another spelling is told it is credited.
      await expect(billing.wallets.recordTopUp(国网, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: `“CMB-20261108-${digits}”` })).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
      expect(await billing.violations()).toEqual([]);
    });
  });
});

describe('billing: the migration that keys each transfer a reference names', () => {
  it('keys every top-up by its serials each once and in order, marks a confirmed top-up that shares a serial with an earlier one, and refuses a pending one sharing a credited serial, marked or not', async () => {
    await withOwnBilling(async (billing, dataSource) => {
      const [a, b, c] = [`CMB-20261207-${fourDigits()}1`, `CMB-20261207-${fourDigits()}2`, `CMB-20261207-${fourDigits()}3`];
      const key = (serial: string) => serial.toLowerCase().replace(/-/g, '');
      const [国网, 电信, 联通, 移动] = [buyer(), buyer(), buyer(), buyer()];
      // Before the migration: A credited alone, then `B；A` and `A；B` credited as transfers of their own (their keys differed).
      const ids: string[] = [];
      for (const who of [国网, 电信, 联通]) {
        billing.clock.set(new Date(Date.UTC(2026, 11, 7, 2, ids.length)));
        ids.push(await billing.fund(who, 2_000_000));
      }
      const pending = await billing.wallets.recordTopUp(移动, { amount: { amount: 2_000_000, currency: 'CNY' }, reference: serial() });
      billing.clock.set(new Date('2026-12-07T03:00:00.000Z'));
      await dataSource.initialize();
      const migration = new TopUpTransferKeys1766100000000();
      const runner = dataSource.createQueryRunner();
      await migration.down(runner);
      const asFiled = [
        [ids[0], `招商银行 ${a}`, key(a)],
        [ids[1], `${b}；${a}`, `${key(b)}, ${key(a)}`],
        [ids[2], `${a}；${b}`, `${key(a)}, ${key(b)}`],
        [pending.id, `${c} ${b}`.replace(' ', '，'), `${key(c)}, ${key(b)}`],
      ];
      for (const [id, reference, typedKey] of asFiled) await billing.sql.query(`UPDATE top_up SET reference = $2, reference_key = $3 WHERE id = $1`, [id, reference, typedKey]);

      await migration.up(runner);
      await runner.release();

      const { rows } = await billing.sql.query(`SELECT id, reference_key, transfer_keys, double_credit_of FROM top_up WHERE id = ANY($1)`, [[...ids, pending.id]]);
      const byId = Object.fromEntries(rows.map((r: { id: string }) => [r.id, r]));
      const ab = [key(a), key(b)].sort();
      expect(byId[ids[0]]).toMatchObject({ reference_key: key(a), transfer_keys: [key(a)], double_credit_of: null });
      // `B；A` shares A with the first: marked as its double credit; `A；B` is the same two serials as `B；A`, marked as that one's.
      expect(byId[ids[1]]).toMatchObject({ reference_key: ab.join(', '), transfer_keys: ab, double_credit_of: ids[0] });
      expect(byId[ids[2]]).toMatchObject({ reference_key: ab.join(', '), transfer_keys: ab, double_credit_of: ids[1] });
      expect(byId[pending.id]).toMatchObject({ transfer_keys: [key(b), key(c)].sort(), double_credit_of: null });
      // No money moves: the operator settles the marked ones with their buyers.
      for (const who of [国网, 电信, 联通]) expect(await billing.walletBalance(who.organizationId)).toBe(2_000_000);
      // B was credited only by a top-up now marked: still credited, so `C，B` is refused, naming it.
      await expect(billing.wallets.confirmTopUp(pending.id)).rejects.toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED', message: expect.stringContaining(ids[1]) });
      expect(await topUpStatus(billing, pending.id)).toBe('pending');
      // And the database refuses it without the service.
      await expect(billing.sql.query(`UPDATE top_up SET status = 'confirmed', confirmed_at = now() WHERE id = $1`, [pending.id])).rejects.toMatchObject({ constraint: 'top_up_transfer_credited_once' });
      expect(await billing.violations()).toEqual([]);
    });
  });
});

/**
 * A billing of the test's own, with a data source on its database for running a migration's
 * `up` and `down` by hand; both are let go of whatever the test does.
 */
async function withOwnBilling(work: (billing: BillingHarness, dataSource: DataSource) => Promise<void>): Promise<void> {
  const billing = await BillingHarness.start();
  const dataSource = createDataSource(billing.db.url);
  try {
    await work(billing, dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await billing.stop();
  }
}

/**
 * The migrations after the ones these tests run by hand, which the test's database has already:
 * undone before an earlier migration's `down` and done again after its `up`, as a database
 * migrating each way would be.
 */
const LATER = [new TopUpTransferKeys1766100000000()];

async function undoLater(runner: QueryRunner): Promise<void> {
  for (const later of [...LATER].reverse()) await later.down(runner);
}

async function down(runner: QueryRunner, migration: MigrationInterface): Promise<void> {
  await undoLater(runner);
  await migration.down(runner);
}

async function up(runner: QueryRunner, migration: MigrationInterface): Promise<void> {
  await migration.up(runner);
  for (const later of LATER) await later.up(runner);
}

/** Four digits for a serial of this test's own. */
const fourDigits = () => randomUUID().replace(/\D/g, '').slice(0, 4).padEnd(4, '7');

/** Each top-up's key and mark, by id. */
async function keysAndMarks(billing: BillingHarness, ids: string[]): Promise<Record<string, { key: string; mark: string | null }>> {
  const { rows } = await billing.sql.query(`SELECT id, reference_key, double_credit_of FROM top_up WHERE id = ANY($1)`, [ids]);
  return Object.fromEntries(rows.map((r: { id: string; reference_key: string; double_credit_of: string | null }) => [r.id, { key: r.reference_key, mark: r.double_credit_of }]));
}

async function topUpStatus(billing: BillingHarness, id: string): Promise<string> {
  return (await billing.sql.query(`SELECT status FROM top_up WHERE id = $1`, [id])).rows[0].status;
}
