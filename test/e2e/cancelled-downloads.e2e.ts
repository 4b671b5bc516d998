import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { apiPost, buyerWithEntitlement } from '../support/delivery-flow';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a GET of `url` on a raw socket and resets the connection at once, before any answer. */
async function abortedGet(url: string, extra = ''): Promise<void> {
  const u = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${extra}\r\n`, () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
}

/**
 * A download request its client cancels before the answer starts (a browser's cancel, a download
 * manager giving up, a reset connection): delivery let go of its hold only in a listener on the
 * connection's close, attached once the checks were done, so a connection closed before then left
 * a hold that its process renewed for as long as it ran. Under `downloadLimit: 1` the buyer was
 * refused its one download without having received a byte; under `seats: 1` every other key.
 */
describe('cancelled downloads hold nothing', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  const deliveryDb = () => system.databases.get('delivery')!.url;
  const post = (path: string, who: string | 'admin', body?: unknown) => apiPost(system, path, who, body);
  const audio = randomBytes(3 * 1024 * 1024 + 77);

  const limitedListing = async (title: string, terms: Record<string, unknown>, files: Record<string, Buffer>) => {
    const listed = await vendor.listing(speechListing({ title }), files);
    const offer = await vendor.expect(201, `/v1/datasets/${listed.dataset.id}/offers`, 'POST', {
      license: { template: 'commercial', terms: { uses: ['model_training', 'fine_tuning', 'evaluation'], termMonths: null, territories: ['CN'], seats: null, exclusive: false, ...terms } },
      pricing: { model: 'one_time', price: { amount: 1_200_000, currency: 'CNY' } },
    });
    await vendor.expect(200, `/v1/datasets/${listed.dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${listed.dataset.id}/approve`, 'admin')).status).toBe(200);
    return { ...listed, limitedOffer: offer };
  };
  const manifestOf = async (key: string, entitlementId: string) => json(await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key } }));
  const liveHolds = (entitlementId: string) =>
    withDatabase(deliveryDb(), async (c) => (await c.query(`SELECT id FROM download_hold WHERE entitlement_id = $1 AND expires_at > now()`, [entitlementId])).rows);

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '语料工坊 / Corpus Works');
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('under downloadLimit 1, a GET reset before its answer leaves the one download to the buyer', async () => {
    const { limitedOffer } = await limitedListing('粤语客服通话录音 downloadLimit 1', { downloadLimit: 1 }, { 'audio/yue_0001.wav': audio });
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '深圳语音科技有限公司', limitedOffer.id);
    const [file] = (await manifestOf(buyer.key, entitlementId)).versions[0].files;

    await abortedGet(file.url);
    await sleep(2000);
    expect(await liveHolds(entitlementId)).toEqual([]);
    const answer = await fetch(file.url);
    const bytes = Buffer.from(await answer.arrayBuffer());
    expect({ status: answer.status, sha256: sha256(bytes) }).toEqual({ status: 200, sha256: sha256(audio) });
  });

  it('under seats 1, twenty cancelled GETs leave no hold renewed behind them', async () => {
    const { limitedOffer } = await limitedListing('普通话车载指令 seats 1', { seats: 1 }, { 'audio/cmd_0001.wav': audio });
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '杭州智驾数据有限公司', limitedOffer.id);
    const [file] = (await manifestOf(buyer.key, entitlementId)).versions[0].files;
    for (let i = 0; i < 10; i++) await abortedGet(file.url);
    // A browser or download manager cancelling: fetch aborted 1 ms after it was sent.
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const sent = fetch(file.url, { signal: controller.signal }).catch(() => undefined);
      setTimeout(() => controller.abort(), 1);
      await sent;
    }
    await sleep(3000);
    // Each left a hold and a timer renewing it every 30 s before; a request cancelled after its
    // answer started is a download cut off, which counts as a seat by design (docs/downloads.md).
    expect(await liveHolds(entitlementId)).toEqual([]);
  });
});
