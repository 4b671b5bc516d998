import { randomUUID } from 'node:crypto';
import { commercialOffer, speechListing, VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { sendRaw } from '../support/http';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(240_000);

/** A buyer's key and organization, signed up through the API. */
interface Buyer {
  key: string;
  organizationId: string;
}

describe('billing through the public API', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let 国网: Buyer;
  let 电信: Buyer;

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const as = (buyer: Buyer | VendorClient) => ({ as: { key: buyer.key } });
  const post = (path: string, who: Buyer | VendorClient | 'admin', body?: unknown, key: string | null = randomUUID()) =>
    system.request(path, {
      method: 'POST',
      ...(who === 'admin' ? {} : as(who)),
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      headers: key ? { 'idempotency-key': key } : {},
    });
  const ledgerRows = () =>
    withDatabase(system.databases.get('billing')!.url, async (c) => ({
      entries: (await c.query('SELECT count(*)::int AS n FROM journal_entry')).rows[0].n as number,
      topUps: (await c.query('SELECT count(*)::int AS n FROM top_up')).rows[0].n as number,
      payouts: (await c.query('SELECT count(*)::int AS n FROM payout')).rows[0].n as number,
    }));
  const creditNotes = () => withDatabase(system.databases.get('billing')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM credit_note')).rows[0].n as number);
  const wallet = async (buyer: Buyer) => (await json(await system.request('/v1/wallet', as(buyer)))).balance.amount as number;

  /** A bank transfer announced by the buyer and confirmed by the operator. */
  const fund = async (buyer: Buyer, amount: number) => {
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount, currency: 'CNY' }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
  };

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'] });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    国网 = await signUpBuyer('国网智能研究院 / State Grid AI Lab');
    电信 = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI');
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('tops up once per confirmation, buys a dataset, and shows the wallet, the vendor balance and an invoice whose net + tax = gross', async () => {
    const topUp = await post('/v1/wallet/top-ups', 国网, { amount: { amount: 20_000_000, currency: 'CNY' }, reference: '招商银行 CMB-20261130-0042' });
    expect(topUp.status).toBe(201);
    const pending = await json(topUp);
    expect(pending).toMatchObject({ id: expect.any(String), status: 'pending' });
    expect(await wallet(国网)).toBe(0);
    const confirmed = await post(`/v1/admin/top-ups/${pending.id}/confirm`, 'admin');
    expect(confirmed.status).toBe(200);
    const again = await post(`/v1/admin/top-ups/${pending.id}/confirm`, 'admin');
    expect(again.status).toBe(200);
    expect(await json(again)).toEqual(await json(confirmed));
    expect(await wallet(国网)).toBe(20_000_000);

    const { dataset, offer } = await vendor.listing(speechListing(), undefined);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const placed = await post('/v1/orders', 国网, { items: [{ offerId: offer.id }], acceptLicense: true });
    expect(placed.status).toBe(201);
    const order = await json(placed);
    await waitFor('the order to be paid', async () => {
      const current = await json(await system.request(`/v1/orders/${order.id}`, as(国网)));
      return ['paid', 'fulfilled'].includes(current.status);
    });

    const price = commercialOffer().pricing as { price: { amount: number } };
    expect(await wallet(国网)).toBe(20_000_000 - price.price.amount);
    const balance = await json(await system.request('/v1/balance', as(vendor)));
    expect(balance.balance).toEqual({ amount: price.price.amount * 0.8, currency: 'CNY' });
    const invoices = await json(await system.request('/v1/invoices', as(国网)));
    expect(invoices.items).toHaveLength(1);
    const invoice = await json(await system.request(`/v1/invoices/${invoices.items[0].id}`, as(国网)));
    expect(invoice).toMatchObject({ orderId: order.id, number: expect.stringMatching(/^\d{4}-\d{6}$/), gross: { amount: price.price.amount, currency: 'CNY' } });
    expect(invoice.net.amount + invoice.tax.amount).toBe(invoice.gross.amount);
    const trial = await json(await system.request('/v1/admin/ledger/trial-balance'));
    expect(trial.total).toBe(0);
    expect(trial.accounts.map((a: { type: string }) => a.type).sort()).toEqual(['bank_clearing', 'platform_revenue', 'tax_payable', 'vendor_payable', 'wallet']);

    // Ownership: another buyer sees neither this invoice nor this wallet's money.
    expect((await system.request(`/v1/invoices/${invoice.id}`, as(电信))).status).toBe(404);
    expect((await json(await system.request('/v1/invoices', as(电信)))).items).toEqual([]);
    expect(await wallet(电信)).toBe(0);
    expect((await system.request(`/v1/invoices/${invoice.id}`)).status).toBe(200);

    // The vendor withdraws part of it, once approved; more than it is owed is refused.
    const tooMuch = await post('/v1/payouts', vendor, { amount: { amount: balance.balance.amount + 1, currency: 'CNY' } });
    expect(tooMuch.status).toBe(409);
    expect(await json(tooMuch)).toMatchObject({ code: 'PAYOUT_EXCEEDS_BALANCE' });
    const payout = await post('/v1/payouts', vendor, { amount: { amount: 1_000_000, currency: 'CNY' } });
    expect(payout.status).toBe(201);
    const approved = await post(`/v1/admin/payouts/${(await json(payout)).id}/approve`, 'admin');
    expect(await json(approved)).toMatchObject({ status: 'paid' });
    expect((await json(await system.request('/v1/balance', as(vendor)))).balance.amount).toBe(balance.balance.amount - 1_000_000);
  });

  it('refunds a paid order with a reversing entry and a credit note that cancels its invoice: the wallet is whole again, the vendor owes nothing for it, the trial balance stays zero; a second refund is 409 and moves nothing', async () => {
    const 联通 = await signUpBuyer('中国联通数据智能 / China Unicom Data Intelligence');
    await fund(联通, 13_000_000);
    const { dataset, offer } = await vendor.listing(speechListing({ title: '粤语客服对话录音 80 小时 / Cantonese call-centre audio' }), undefined);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const vendorBefore = (await json(await system.request('/v1/balance', as(vendor)))).balance.amount as number;
    const order = await json(await post('/v1/orders', 联通, { items: [{ offerId: offer.id }], acceptLicense: true }));
    const statusOf = async () => (await json(await system.request(`/v1/orders/${order.id}`, as(联通)))).status as string;
    await waitFor('the order to be paid', async () => ['paid', 'fulfilled'].includes(await statusOf()));
    expect(await wallet(联通)).toBe(13_000_000 - 12_800_000);

    const refund = await post(`/v1/admin/orders/${order.id}/refund`, 'admin', { reason: '数据与描述不符，经核实退款 / Data did not match the listing' });
    expect(refund.status).toBe(202);
    await waitFor('the order to be refunded', async () => (await statusOf()) === 'refunded');
    expect(await wallet(联通)).toBe(13_000_000);
    expect((await json(await system.request('/v1/balance', as(vendor)))).balance.amount).toBe(vendorBefore);
    // The invoice stays; a credit note (红字发票) with the same lines below zero cancels it.
    const documents = (await json(await system.request('/v1/invoices', as(联通)))).items;
    expect(documents.map((d: { kind: string }) => d.kind)).toEqual(['credit_note', 'invoice']);
    const [note, invoice] = documents;
    expect(invoice).toMatchObject({ orderId: order.id, gross: { amount: 12_800_000, currency: 'CNY' }, creditNoteId: note.id, creditsInvoice: null });
    expect(note).toMatchObject({
      kind: 'credit_note',
      orderId: order.id,
      number: expect.stringMatching(/^CN-\d{4}-\d{6}$/),
      creditsInvoice: invoice.number,
      creditsInvoiceId: invoice.id,
      net: { amount: -invoice.net.amount, currency: 'CNY' },
      tax: { amount: -invoice.tax.amount, currency: 'CNY' },
      gross: { amount: -12_800_000, currency: 'CNY' },
    });
    expect(note.net.amount + note.tax.amount).toBe(note.gross.amount);
    expect(note.lines).toEqual([expect.objectContaining({ lineId: invoice.lines[0].lineId, gross: { amount: -12_800_000, currency: 'CNY' } })]);
    expect(await json(await system.request(`/v1/invoices/${note.id}`, as(联通)))).toEqual(note);
    expect((await json(await system.request('/v1/invoices?kind=credit_note', as(联通)))).items.map((d: { id: string }) => d.id)).toEqual([note.id]);
    expect((await json(await system.request('/v1/invoices?kind=invoice', as(联通)))).items.map((d: { id: string }) => d.id)).toEqual([invoice.id]);
    const badKind = await system.request('/v1/invoices?kind=red', as(联通));
    expect(badKind.status).toBe(400);
    expect(await json(badKind)).toMatchObject({ code: 'VALIDATION_FAILED' });
    // Another buyer does not even learn the credit note exists; the operator sees it.
    expect((await system.request(`/v1/invoices/${note.id}`, as(电信))).status).toBe(404);
    expect((await json(await system.request('/v1/invoices?kind=credit_note', as(电信)))).items).toEqual([]);
    expect((await system.request(`/v1/invoices/${note.id}`)).status).toBe(200);

    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);
    const entries = await withDatabase(system.databases.get('billing')!.url, async (c) => (await c.query('SELECT kind FROM journal_entry WHERE order_id = $1 ORDER BY created_at', [order.id])).rows.map((r) => r.kind));
    expect(entries).toEqual(['charge', 'refund']);

    // A refund asked for again: the clear code, and nothing moves.
    const before = { ...(await ledgerRows()), creditNotes: await creditNotes() };
    const again = await post(`/v1/admin/orders/${order.id}/refund`, 'admin', { reason: '重复申请 / asked twice' });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'ORDER_NOT_REFUNDABLE', detail: expect.stringContaining('refunded already') });
    expect({ ...(await ledgerRows()), creditNotes: await creditNotes() }).toEqual(before);
    expect(await wallet(联通)).toBe(13_000_000);
  });

  it('refunds a subscription: its charge comes back with a credit note and the subscription ends', async () => {
    const 移动 = await signUpBuyer('中国移动研究院 / China Mobile Research');
    await fund(移动, 1_000_000);
    const { dataset } = await vendor.listing(speechListing({ title: '四川话对话语音 50 小时 / Sichuanese conversations 50 h' }), undefined);
    const offer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', {
      license: { template: 'commercial' },
      pricing: { model: 'subscription', price: { amount: 880_000, currency: 'CNY' }, period: 'month' },
    });
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const order = await json(await post('/v1/orders', 移动, { items: [{ offerId: offer.id }], acceptLicense: true }));
    const statusOf = async () => (await json(await system.request(`/v1/orders/${order.id}`, as(移动)))).status as string;
    await waitFor('the subscription to be paid', async () => ['paid', 'fulfilled'].includes(await statusOf()));
    expect(await wallet(移动)).toBe(120_000);

    expect((await post(`/v1/admin/orders/${order.id}/refund`, 'admin', { reason: '试用后退订 / cancelled after the trial' })).status).toBe(202);
    await waitFor('the order to be refunded', async () => (await statusOf()) === 'refunded');

    expect(await wallet(移动)).toBe(1_000_000);
    const documents = (await json(await system.request('/v1/invoices', as(移动)))).items as { kind: string; gross: { amount: number } }[];
    expect(documents.map((d) => [d.kind, d.gross.amount])).toEqual([
      ['credit_note', -880_000],
      ['invoice', 880_000],
    ]);
    const subscriptions = await withDatabase(system.databases.get('billing')!.url, async (c) => (await c.query('SELECT status FROM subscription WHERE order_id = $1', [order.id])).rows);
    expect(subscriptions).toEqual([{ status: 'cancelled' }]);
    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);
  });

  it('refuses bad amounts, unknown currencies and missing keys with problem+json, and changes nothing', async () => {
    const before = await ledgerRows();
    const bad: [string, unknown][] = [
      ['negative', { amount: { amount: -100, currency: 'CNY' }, reference: 'CMB-1' }],
      ['zero', { amount: { amount: 0, currency: 'CNY' }, reference: 'CMB-1' }],
      ['fractional', { amount: { amount: 99.5, currency: 'CNY' }, reference: 'CMB-1' }],
      ['a string', { amount: { amount: '100', currency: 'CNY' }, reference: 'CMB-1' }],
      ['a bare number', { amount: 100, reference: 'CMB-1' }],
      ['beyond safe integers', { amount: { amount: 2 ** 53, currency: 'CNY' }, reference: 'CMB-1' }],
      ['an unknown currency', { amount: { amount: 100, currency: 'BTC' }, reference: 'CMB-1' }],
      ['a lower-case currency', { amount: { amount: 100, currency: 'cny' }, reference: 'CMB-1' }],
      ['no reference', { amount: { amount: 100, currency: 'CNY' } }],
      ['an unknown field', { amount: { amount: 100, currency: 'CNY' }, reference: 'CMB-1', bonus: 1 }],
    ];
    for (const [what, body] of bad) {
      const answer = await post('/v1/wallet/top-ups', 国网, body);
      expect({ what, status: answer.status, type: answer.headers.get('content-type') }).toEqual({ what, status: 400, type: expect.stringMatching(/^application\/problem\+json/) });
      expect(await json(answer)).toMatchObject({ code: 'VALIDATION_FAILED' });
      if (what !== 'no reference' && what !== 'an unknown field') {
        const payout = await post('/v1/payouts', vendor, { amount: (body as { amount: unknown }).amount });
        expect({ what, status: payout.status }).toEqual({ what, status: 400 });
      }
    }
    const malformed = await post('/v1/wallet/top-ups', 国网, '{"amount": {"amount": 100,');
    expect(malformed.status).toBe(400);
    const keyless = await post('/v1/wallet/top-ups', 国网, { amount: { amount: 100, currency: 'CNY' }, reference: 'CMB-1' }, null);
    expect(keyless.status).toBe(400);
    expect(await json(keyless)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'Idempotency-Key' }] });
    // Two keys in two header lines (Node joins them with ", "): told it was sent twice, not that a key has a space.
    const gateway = new URL(system.app('gateway', 0).url);
    const topUp = Buffer.from(JSON.stringify({ amount: { amount: 100, currency: 'CNY' }, reference: 'CMB-2' }));
    const twice = await sendRaw({ host: gateway.hostname, port: Number(gateway.port), method: 'POST', path: '/v1/wallet/top-ups' }, topUp, {
      authorization: `Bearer ${国网.key}`,
      'content-type': 'application/json',
      'idempotency-key': [randomUUID(), randomUUID()],
    });
    expect({ status: twice.status, detail: twice.body.detail }).toEqual({ status: 400, detail: 'Idempotency-Key: send it once; this request carried it 2 times' });
    expect((await post('/v1/payouts', vendor, { amount: { amount: 1, currency: 'CNY' } }, null)).status).toBe(400);
    expect((await system.request('/v1/wallet?currency=BTC', as(国网))).status).toBe(400);
    expect((await system.request('/v1/invoices/not-a-uuid', as(国网))).status).toBe(400);
    expect((await post('/v1/admin/top-ups/not-a-uuid/confirm', 'admin')).status).toBe(400);
    expect((await post(`/v1/admin/top-ups/${randomUUID()}/confirm`, 'admin')).status).toBe(404);
    expect(await ledgerRows()).toEqual(before);
  });

  it('replays a top-up sent again with the same key, and refuses the key with another body', async () => {
    const key = randomUUID();
    const body = { amount: { amount: 880_000, currency: 'CNY' }, reference: '工商银行 ICBC-5521' };
    const first = await post('/v1/wallet/top-ups', 电信, body, key);
    const second = await post('/v1/wallet/top-ups', 电信, body, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect((await json(second)).id).toBe((await json(first)).id);
    const reused = await post('/v1/wallet/top-ups', 电信, { ...body, reference: '工商银行 ICBC-5522' }, key);
    expect(reused.status).toBe(422);
    expect(await json(reused)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('frees the money of a pending payout a refund made too large: its vendor cancels it, an operator can reject one with a reason, and what is owed is paid', async () => {
    const 标贝 = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const { dataset } = await 标贝.listing(speechListing({ title: '普通话朗读语音 200 小时 / Mandarin read speech 200 h' }), undefined);
    const offer = await 标贝.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(1_000_000));
    await 标贝.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const orders: string[] = [];
    for (const name of ['百度智能云 / Baidu AI Cloud', '科大讯飞 / iFLYTEK']) {
      const buyer = await signUpBuyer(name);
      await fund(buyer, 1_000_000);
      const order = await json(await post('/v1/orders', buyer, { items: [{ offerId: offer.id }], acceptLicense: true }));
      await waitFor('the order to be paid', async () => ['paid', 'fulfilled'].includes((await json(await system.request(`/v1/orders/${order.id}`))).status));
      orders.push(order.id);
    }
    const owed = async () => (await json(await system.request('/v1/balance', as(标贝)))).balance.amount as number;
    expect(await owed()).toBe(1_600_000);
    const payoutEntries = () =>
      withDatabase(system.databases.get('billing')!.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM journal_entry WHERE kind = 'payout'`)).rows[0].n as number);
    const entriesBefore = await payoutEntries();

    // The vendor asks for all of it; then a sale is refunded and the payout is too large to approve.
    const frozen = await json(await post('/v1/payouts', 标贝, { amount: { amount: 1_600_000, currency: 'CNY' } }));
    expect((await post(`/v1/admin/orders/${orders[1]}/refund`, 'admin', { reason: '样本与描述不符 / samples did not match' })).status).toBe(202);
    await waitFor('the order to be refunded', async () => (await json(await system.request(`/v1/orders/${orders[1]}`))).status === 'refunded');
    expect(await owed()).toBe(800_000);
    const approval = await post(`/v1/admin/payouts/${frozen.id}/approve`, 'admin');
    expect({ status: approval.status, code: (await json(approval)).code }).toEqual({ status: 409, code: 'PAYOUT_EXCEEDS_BALANCE' });
    const stillAsked = await post('/v1/payouts', 标贝, { amount: { amount: 800_000, currency: 'CNY' } });
    expect({ status: stillAsked.status, code: (await json(stillAsked)).code }).toEqual({ status: 409, code: 'PAYOUT_EXCEEDS_BALANCE' });

    // Nobody else may touch it; its vendor withdraws it, twice with the same answer.
    expect((await post(`/v1/payouts/${frozen.id}/cancel`, vendor)).status).toBe(404);
    expect((await system.request(`/v1/payouts/${frozen.id}`, as(vendor))).status).toBe(404);
    expect((await post(`/v1/payouts/${frozen.id}/cancel`, 国网)).status).toBe(403);
    const cancelled = await post(`/v1/payouts/${frozen.id}/cancel`, 标贝);
    expect(cancelled.status).toBe(200);
    const view = await json(cancelled);
    expect(view).toMatchObject({ id: frozen.id, status: 'cancelled', paidAt: null, amount: { amount: 1_600_000, currency: 'CNY' } });
    const twice = await post(`/v1/payouts/${frozen.id}/cancel`, 标贝);
    expect(twice.status).toBe(200);
    expect(await json(twice)).toEqual(view);
    const approveCancelled = await post(`/v1/admin/payouts/${frozen.id}/approve`, 'admin');
    expect({ status: approveCancelled.status, code: (await json(approveCancelled)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await owed()).toBe(800_000);

    // An operator refuses the next one, saying why; the vendor reads the reason.
    const refused = await json(await post('/v1/payouts', 标贝, { amount: { amount: 800_000, currency: 'CNY' } }));
    expect((await post(`/v1/admin/payouts/${refused.id}/reject`, 'admin', {})).status).toBe(400);
    expect((await post(`/v1/admin/payouts/${refused.id}/reject`, 标贝, { reason: '自己驳回' })).status).toBe(403);
    const reason = '收款账户名称与营业执照不符，请更新招商银行账户后重新申请';
    const rejected = await post(`/v1/admin/payouts/${refused.id}/reject`, 'admin', { reason });
    expect(rejected.status).toBe(200);
    expect(await json(rejected)).toMatchObject({ status: 'rejected', rejectionReason: reason });
    expect(await json(await system.request(`/v1/payouts/${refused.id}`, as(标贝)))).toMatchObject({ status: 'rejected', rejectionReason: reason });
    const rejectAgain = await post(`/v1/admin/payouts/${refused.id}/reject`, 'admin', { reason });
    expect({ status: rejectAgain.status, code: (await json(rejectAgain)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    const cancelRejected = await post(`/v1/payouts/${refused.id}/cancel`, 标贝);
    expect({ status: cancelRejected.status, code: (await json(cancelRejected)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await payoutEntries()).toBe(entriesBefore);

    // A cancellation racing an approval: exactly one of them wins.
    const raced = await json(await post('/v1/payouts', 标贝, { amount: { amount: 300_000, currency: 'CNY' } }));
    const [approved, withdrawn] = await Promise.all([post(`/v1/admin/payouts/${raced.id}/approve`, 'admin'), post(`/v1/payouts/${raced.id}/cancel`, 标贝)]);
    expect([approved.status, withdrawn.status].sort()).toEqual([200, 409]);
    const winner = (await json(await system.request(`/v1/payouts/${raced.id}`, as(标贝)))).status as string;
    expect(winner).toBe(approved.status === 200 ? 'paid' : 'cancelled');
    expect(await owed()).toBe(winner === 'paid' ? 500_000 : 800_000);

    // What is still owed is paid at last, and a paid payout cannot be withdrawn.
    const rest = await json(await post('/v1/payouts', 标贝, { amount: { amount: await owed(), currency: 'CNY' } }));
    expect(await json(await post(`/v1/admin/payouts/${rest.id}/approve`, 'admin'))).toMatchObject({ status: 'paid' });
    expect(await owed()).toBe(0);
    const cancelPaid = await post(`/v1/payouts/${rest.id}/cancel`, 标贝);
    expect({ status: cancelPaid.status, code: (await json(cancelPaid)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await payoutEntries()).toBe(entriesBefore + (winner === 'paid' ? 2 : 1));
    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);
  });

  it('lets the right roles only: a vendor has no wallet, a buyer no vendor balance, neither confirms nor approves', async () => {
    await fund(电信, 1_000);
    expect((await system.request('/v1/wallet', as(vendor))).status).toBe(403);
    expect((await system.request('/v1/balance', as(国网))).status).toBe(403);
    expect((await system.request('/v1/invoices', as(vendor))).status).toBe(403);
    expect((await system.request('/v1/admin/ledger/trial-balance', as(国网))).status).toBe(403);
    const topUp = await json(await post('/v1/wallet/top-ups', 国网, { amount: { amount: 1_000, currency: 'CNY' }, reference: 'CMB-self' }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 国网)).status).toBe(403);
    expect((await system.request('/v1/wallet', { as: 'anonymous' })).status).toBe(401);
  });
});
