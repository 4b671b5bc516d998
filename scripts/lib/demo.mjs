// The demo marketplace npm start leaves behind, made through the public API like any client
// would: eight approved data vendors (lib/demo-catalog.mjs) with their profiles, a buyer, and
// 64 published listings across modalities, languages and domains, each with a released
// version of two small real files uploaded through signed URLs, a sample, and offers of every
// pricing model, submitted and approved by the operator.
//
// The operator signs the demo organizations up with the admin key, which the gateway counts per
// key like any route, so the demo leaves the hourly sign-up limit of this machine's address to
// whoever tries the API next. Keys are kept in .trove/demo-keys.json (mode 600) and reused while
// they still work, so a restart signs nobody up again. The listings made are
// recorded in .trove/demo-catalog.json: npm start seeds only when they are gone (a fresh
// database), `npm run seed` (mode 'always') suspends the previous demo listings and publishes
// the catalog again.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LISTINGS, VENDORS } from './demo-catalog.mjs';
import { ROOT, shownPath } from './util.mjs';

const BUYER = { name: '国网智能研究院 / State Grid AI Lab (demo)', kind: 'buyer', contactEmail: 'ai-procurement@sgai-demo.example.cn' };
const FIRST_VENDOR = VENDORS[0];
/** Requests in flight per vendor key; the gateway allows 50 a second per key. */
const PER_VENDOR = 2;

class GatewayError extends Error {}

/** One call to the gateway; 429 waits as Retry-After says and tries again. */
async function call(gatewayUrl, method, route, key, body) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${gatewayUrl}${route}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    const seconds = Number(response.headers.get('retry-after')) || 1;
    // A per-second limit is waited out; the hourly sign-up limit is not.
    if (response.status === 429 && attempt < 20 && seconds <= 5) {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
}

async function expect(status, answer, what) {
  const got = await answer;
  if (got.status !== status) throw new GatewayError(`${what} answered ${got.status}: ${JSON.stringify(got.body)?.slice(0, 400)}`);
  return got.body;
}

async function works(gatewayUrl, entry) {
  return Boolean(entry?.key) && (await call(gatewayUrl, 'GET', '/v1/me', entry.key)).status === 200;
}

/** Runs `work` over `items`, `width` at a time. */
async function eachLimited(items, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

/** The organizations: saved keys that still work, new sign-ups for the rest. */
async function organizations({ stateDir, gatewayUrl, adminKey }) {
  const file = path.join(stateDir, 'demo-keys.json');
  const saved = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const vendors = {};
  let created = 0;
  // The first vendor was `vendor` in earlier demo-keys.json files: keep using it.
  const savedVendors = { [FIRST_VENDOR.key]: saved.vendor, ...(saved.vendors ?? {}) };
  for (const vendor of VENDORS) {
    if (await works(gatewayUrl, savedVendors[vendor.key])) {
      vendors[vendor.key] = savedVendors[vendor.key];
      continue;
    }
    const signedUp = await expect(201, call(gatewayUrl, 'POST', '/v1/organizations', adminKey, { name: vendor.name, kind: 'vendor', contactEmail: vendor.email }), `signing up ${vendor.name}`);
    await expect(200, call(gatewayUrl, 'POST', `/v1/admin/organizations/${signedUp.organization.id}/approve`, adminKey), `approving ${vendor.name}`);
    vendors[vendor.key] = { organizationId: signedUp.organization.id, name: vendor.name, key: signedUp.apiKey };
    created++;
  }
  let buyer = saved.buyer;
  if (!(await works(gatewayUrl, buyer))) {
    const signedUp = await expect(201, call(gatewayUrl, 'POST', '/v1/organizations', adminKey, BUYER), 'signing up the demo buyer');
    buyer = { organizationId: signedUp.organization.id, name: BUYER.name, key: signedUp.apiKey };
    created++;
  }
  const demo = { vendor: vendors[FIRST_VENDOR.key], buyer, vendors };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return { demo, created };
}

// ---------------------------------------------------------------- listings

const require = createRequire(import.meta.url);

/** libs/dataset's example metadata, from the build. */
function exampleMetadata(root, modality) {
  const { exampleMetadata: example } = require(path.join(root, 'dist/libs/dataset/src/index.js'));
  return example(modality);
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The modality's example metadata with `fields` over it: objects merged one level deep, `undefined` removes. */
export function listingOf(root, modality, fields) {
  const listing = exampleMetadata(root, modality);
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) delete listing[name];
    else if (isObject(value) && isObject(listing[name])) listing[name] = { ...listing[name], ...value };
    else listing[name] = value;
  }
  return JSON.parse(JSON.stringify(listing));
}

/** A short mono 16-bit PCM WAV: a tone, so a speech sample plays. */
function wav(seconds = 0.25, rate = 16000) {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The two files of a version: a dataset card and a few records of its manifest. */
function versionFiles(listing) {
  const card = [`# ${listing.title}`, '', listing.titleEn ? `${listing.titleEn}\n` : '', listing.description, '', `- modality: ${listing.modality}`, `- domain: ${listing.domain}`, `- languages: ${(listing.languages ?? []).join(', ') || 'n/a'}`, `- formats: ${listing.formats.join(', ')}`, ''].join('\n');
  const records = Array.from({ length: 5 }, (_, i) => {
    const id = String(i + 1).padStart(6, '0');
    switch (listing.modality) {
      case 'speech':
        return { audio: `wav/spk${String(i + 1).padStart(4, '0')}/utt_${id}.wav`, text: ['今天天气不错', '请帮我查一下账单', '打开空调二十六度', '我想办理宽带报修', '导航去最近的加油站'][i], duration: 2.4 + i * 0.3 };
      case 'image':
        return { image: `images/${id}.jpg`, width: 1920, height: 1080, boxes: [{ label: 'object', x: 120 + i * 10, y: 80, w: 200, h: 160 }] };
      case 'video':
        return { video: `videos/${id}.mp4`, fps: 30, frames: 900, tracks: [{ id: i + 1, label: 'car', frames: [0, 899] }] };
      case 'point_cloud':
        return { cloud: `pcd/${id}.pcd`, points: 120_000, cuboids: [{ label: 'car', center: [12.1, -3.4, 0.8], size: [4.5, 1.9, 1.6], yaw: 0.12 }] };
      default:
        return { id, instruction: ['解释什么是定投', '总结这段对话', '把这句话翻译成英文', '给出解题步骤', '判断回复是否安全'][i], output: '……' };
    }
  });
  return [
    { path: 'README.md', bytes: Buffer.from(card, 'utf8') },
    { path: `data/manifest-${listing.modality}.jsonl`, bytes: Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8') },
  ];
}

function sampleFile(listing) {
  if (listing.modality === 'speech') return { path: 'samples/utt_000001.wav', bytes: wav(), contentType: 'audio/wav' };
  return { path: 'samples/preview.jsonl', bytes: versionFiles(listing)[1].bytes, contentType: 'application/jsonl' };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function upload(gatewayUrl, key, route, file, what) {
  const signed = await expect(201, call(gatewayUrl, 'POST', route, key, { path: file.path, size: file.bytes.length, sha256: sha256(file.bytes) }), `${what}: signing ${file.path}`);
  const put = await fetch(signed.uploadUrl, { method: 'PUT', body: file.bytes, headers: { 'content-type': file.contentType ?? 'application/octet-stream' } });
  if (put.status !== 201) throw new GatewayError(`${what}: uploading ${file.path} answered ${put.status}: ${(await put.text()).slice(0, 300)}`);
}

/** One listing, from draft to published. */
async function publishListing({ gatewayUrl, adminKey, root }, vendorKey, [, modality, fields, offers]) {
  const listing = listingOf(root, modality, { modality, ...fields });
  const what = listing.title;
  const dataset = await expect(201, call(gatewayUrl, 'POST', '/v1/datasets', vendorKey, listing), `${what}: creating`);
  const base = `/v1/datasets/${dataset.id}`;
  const version = await expect(201, call(gatewayUrl, 'POST', `${base}/versions`, vendorKey, { version: '1.0.0', changelog: '首个版本 / First release' }), `${what}: opening a version`);
  for (const file of versionFiles(listing)) await upload(gatewayUrl, vendorKey, `${base}/versions/${version.id}/uploads`, file, what);
  await expect(200, call(gatewayUrl, 'POST', `${base}/versions/${version.id}/release`, vendorKey), `${what}: releasing`);
  await upload(gatewayUrl, vendorKey, `${base}/samples`, sampleFile(listing), what);
  for (const offer of offers) await expect(201, call(gatewayUrl, 'POST', `${base}/offers`, vendorKey, offer), `${what}: offering ${offer.license.template} ${offer.pricing.model}`);
  await expect(200, call(gatewayUrl, 'POST', `${base}/submit`, vendorKey), `${what}: submitting`);
  await expect(200, call(gatewayUrl, 'POST', `/v1/admin/datasets/${dataset.id}/approve`, adminKey), `${what}: approving`);
  return dataset.id;
}

/** The previous demo listings, if any are still published. */
async function stillPublished(gatewayUrl, ids) {
  if (!ids?.length) return false;
  const first = await call(gatewayUrl, 'GET', `/v1/datasets/${ids[0]}`);
  return first.status === 200 && first.body.status === 'published';
}

/**
 * A demo vendor's profile. No two vendors may show one name or website (409), and a database
 * that outlived its .trove/demo-keys.json holds the earlier demo vendors under these: the new
 * ones are numbered (`数据堂（演示） 2`), as a second demo of the same marketplace, and give no
 * website.
 */
async function writeProfile(gatewayUrl, key, vendor) {
  const { website: _website, ...unsited } = vendor.profile;
  for (let n = 1; ; n++) {
    const profile = n === 1 ? vendor.profile : { ...unsited, displayNameZh: `${vendor.profile.displayNameZh} ${n}`, displayNameEn: `${vendor.profile.displayNameEn} ${n}` };
    const answer = await call(gatewayUrl, 'PUT', '/v1/vendor/profile', key, profile);
    if (answer.status === 409 && n < 20) continue;
    return expect(200, answer, `${vendor.name}: profile`);
  }
}

async function seedCatalog({ stateDir, gatewayUrl, adminKey, root, demo, mode }) {
  const file = path.join(stateDir, 'demo-catalog.json');
  const saved = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { datasetIds: [] };
  if (mode === 'if-missing' && (await stillPublished(gatewayUrl, saved.datasetIds))) return { datasets: saved.datasetIds.length, seeded: false };

  // Reseeding: the previous demo listings leave search (there is no deleting a listing).
  await eachLimited(saved.datasetIds ?? [], 8, async (id) => {
    const answer = await call(gatewayUrl, 'POST', `/v1/admin/datasets/${id}/suspend`, adminKey);
    if (![200, 404, 409].includes(answer.status)) throw new GatewayError(`suspending demo listing ${id} answered ${answer.status}`);
  });

  await Promise.all(VENDORS.map((vendor) => writeProfile(gatewayUrl, demo.vendors[vendor.key].key, vendor)));
  const ids = new Array(LISTINGS.length);
  await Promise.all(
    VENDORS.map((vendor) => {
      const mine = LISTINGS.map((listing, index) => ({ listing, index })).filter(({ listing }) => listing[0] === vendor.key);
      return eachLimited(mine, PER_VENDOR, async ({ listing, index }) => {
        ids[index] = await publishListing({ gatewayUrl, adminKey, root }, demo.vendors[vendor.key].key, listing);
      });
    }),
  );
  fs.writeFileSync(file, `${JSON.stringify({ datasetIds: ids }, null, 2)}\n`);
  return { datasets: ids.length, seeded: true };
}

/**
 * The demo organizations and, unless `catalog` is 'never', the demo catalog: 'if-missing'
 * (npm start) publishes it when the recorded listings are not published any more, 'always'
 * (npm run seed) publishes it again.
 */
export async function seedDemo({ stateDir, gatewayUrl, adminKey, root = ROOT, catalog = 'if-missing' }) {
  const { demo, created } = await organizations({ stateDir, gatewayUrl, adminKey });
  const shown = shownPath(root, path.join(stateDir, 'demo-keys.json'));
  const result = { ...demo, source: created > 0 ? `created now, saved in ${shown}` : `saved in ${shown}` };
  if (catalog === 'never') return result;
  return { ...result, catalog: await seedCatalog({ stateDir, gatewayUrl, adminKey, root, demo, mode: catalog }) };
}
