import { commercialOffer, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(180_000);

/**
 * The catalog as a hostile vendor, buyer or anonymous client uses it: what each may write into
 * a listing, and what each can read back, through the public API with the gateway, catalog and
 * delivery running as their own processes.
 */
describe('the catalog under attack', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let other: VendorClient;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'] });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    other = await VendorClient.signUp(system, '标贝科技 DataBaker');
  });

  afterAll(async () => {
    await system?.stop();
  });

  const anonymous = { as: 'anonymous' as const };
  /** Publishes a listing of `vendor` through review, answering its id. */
  async function published(listing: Record<string, unknown> = speechListing()): Promise<{ id: string; versionId: string }> {
    const { dataset, version } = await vendor.listing(listing);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    return { id: dataset.id, versionId: version.id };
  }

  describe('what buyers read', () => {
    // U+202E (right-to-left override) shows `1,000 小时 ‮000,01` as `1,000 小时 10,000`.
    const RLO = '\u202e';

    it('refuses bidirectional overrides and control characters in titles, tags and labels, naming the field', async () => {
      const spoofed = await vendor.call('/v1/datasets', 'POST', speechListing({ title: `普通话语音 1,000 小时 ${RLO}000,01` }));
      expect(spoofed.status).toBe(400);
      expect(spoofed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await json(spoofed)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'title' })] });

      const cases: [Record<string, unknown>, string][] = [
        [{ titleEn: 'Mandarin speech \u2066isolated\u2069' }, 'titleEn'],
        [{ title: '普通话\u001b[2J语音' }, 'title'],
        [{ title: '普通话\n语音' }, 'title'],
        [{ tags: ['普通话', `ASR${RLO}`] }, 'tags.1'],
        [{ description: `正文 ${RLO}说明` }, 'description'],
        [{ description: '正文\u0007' }, 'description'],
        [{ speech: { ...(speechListing().speech as object), dialects: ['四川话\u0008'] } }, 'speech.dialects.0'],
      ];
      for (const [overrides, field] of cases) {
        const answer = await vendor.call('/v1/datasets', 'POST', speechListing(overrides));
        expect([field, answer.status]).toEqual([field, 400]);
        expect((await json(answer)).errors).toEqual([expect.objectContaining({ field })]);
      }
      const mine = await vendor.expect(200, '/v1/vendor/datasets?limit=100');
      expect(mine.items).toEqual([]);

      // Line breaks and tabs belong in a description.
      await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ description: '第一段。\n\n第二段：\t2,000 名说话人。' }));
    });

    it('refuses a tag given twice however it is spelled, and an invisible Khmer vowel, and stores titles and tags trimmed', async () => {
      const before = (await vendor.expect(200, '/v1/vendor/datasets?limit=100')).items.length;
      for (const [tags, field] of [
        [['普通话', '普通话 ', 'ASR'], 'tags'],
        [['普通话', 'ASR', 'ＡＳＲ'], 'tags'],
        [['普通话', 'asr', 'ASR'], 'tags'],
        [['呼叫 中心', '呼叫\u3000\u3000中心'], 'tags'],
        [['普通话', 'ASR\u17b4'], 'tags.1'],
      ] as const) {
        const answer = await vendor.call('/v1/datasets', 'POST', speechListing({ tags }));
        const problem = await json(answer);
        expect([tags, answer.status, problem.code, problem.errors.map((e: { field: string }) => e.field)]).toEqual([tags, 400, 'VALIDATION_FAILED', [field]]);
      }
      expect((await vendor.expect(200, '/v1/vendor/datasets?limit=100')).items.length).toBe(before);

      const created = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '  四川话朗读语音 200 小时  ', tags: [' 四川话', 'ASR '] }));
      expect([created.title, created.metadata.title, created.metadata.tags]).toEqual(['四川话朗读语音 200 小时', '四川话朗读语音 200 小时', ['四川话', 'ASR']]);
      // A patch is read the same way, and a listing keeps its tags when one is refused.
      const patched = await vendor.call(`/v1/datasets/${created.id}`, 'PATCH', { tags: ['四川话', 'Asr', 'ASR'] });
      expect([patched.status, (await json(patched)).errors.map((e: { field: string }) => e.field)]).toEqual([400, ['tags']]);
      expect((await vendor.expect(200, `/v1/datasets/${created.id}`)).metadata.tags).toEqual(['四川话', 'ASR']);
    });

    it('keeps a published listing as it was when an edit would spoof its title, and what search shows with it', async () => {
      const { id } = await published(speechListing({ title: '粤语客服通话语音 500 小时' }));
      const edit = await vendor.call(`/v1/datasets/${id}`, 'PATCH', { title: `粤语客服通话语音 500 小时 ${RLO}000,01` });
      expect(edit.status).toBe(400);
      expect((await json(edit)).errors).toEqual([expect.objectContaining({ field: 'title' })]);
      expect((await json(await system.request(`/v1/datasets/${id}`, anonymous))).title).toBe('粤语客服通话语音 500 小时');
      const found = await json(await system.request(`/v1/datasets?q=${encodeURIComponent('粤语客服')}`, anonymous));
      expect(found.items.map((hit: { id: string; title: string }) => [hit.id, hit.title])).toEqual([[id, '粤语客服通话语音 500 小时']]);
    });

    it("refuses the same characters in a version's changelog and a vendor's profile", async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      const version = await vendor.call(`/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0', changelog: `修复 ${RLO}错误` });
      expect(version.status).toBe(400);
      expect((await json(version)).errors).toEqual([expect.objectContaining({ field: 'changelog' })]);
      await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0', changelog: '首个版本\n- 1,000 小时' });

      const impostor = await vendor.call('/v1/vendor/profile', 'PUT', { displayNameZh: '海天瑞声', displayNameEn: `SpeechOcean ${RLO}laiciffo` });
      expect(impostor.status).toBe(400);
      expect((await json(impostor)).errors).toEqual([expect.objectContaining({ field: 'displayNameEn' })]);
      expect((await system.request(`/v1/vendors/${vendor.organizationId}`, anonymous)).status).toBe(404);

      // A certification, like a tag, is 1 to 200 characters once trimmed: a blank one said nothing on the vendor's page.
      const names = { displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean' };
      // And none twice as a reader reads them: `iso/iec 27001` is `ISO/IEC 27001`.
      for (const certifications of [[''], ['ISO/IEC 27001', '  '], ['认'.repeat(201)], ['ISO/IEC 27001', 'iso/iec 27001'], ['DSMM 三级', 'ＤＳＭＭ 三级 ']]) {
        const blank = await vendor.call('/v1/vendor/profile', 'PUT', { ...names, certifications });
        expect([blank.status, (await json(blank)).errors]).toEqual([400, [expect.objectContaining({ field: 'certifications' })]]);
      }
      expect((await vendor.expect(200, '/v1/vendor/profile', 'PUT', { ...names, certifications: [' DSMM 三级 ', 'ISO/IEC 27001'] })).certifications).toEqual(['DSMM 三级', 'ISO/IEC 27001']);
    });
  });

  describe("a vendor's public face", () => {
    it("refuses names another vendor's profile shows, however they are spelled, and lets each keep its own", async () => {
      const datatang = { displayNameZh: '数据堂（北京）科技股份有限公司', displayNameEn: 'Datatang' };
      await other.expect(200, '/v1/vendor/profile', 'PUT', datatang);
      // Its names are reserved once the catalog has its approval, as its page is public then.
      await waitFor('the approval reaches the catalog', async () => (await system.request(`/v1/vendors/${other.organizationId}`, anonymous)).status === 200);
      // An approved vendor renamed itself after another: its page and its Croissant cards named
      // the other vendor, and only the organization id told the two apart.
      for (const [copied, fields] of [
        [datatang, ['displayNameZh', 'displayNameEn']],
        [{ displayNameZh: '数据堂（北京）科技股份有限公司', displayNameEn: 'Datatang Technology' }, ['displayNameZh']],
        [{ displayNameZh: '海天瑞声', displayNameEn: 'ＤＡＴＡＴＡＮＧ' }, ['displayNameEn']],
        [{ displayNameZh: '海天瑞声', displayNameEn: '  datatang  ' }, ['displayNameEn']],
        // Characters display text keeps for scripts and emoji, but that show nothing here.
        [{ displayNameZh: '数据堂\u200d（北京）科技股份有限公司\ufe0f', displayNameEn: 'SpeechOcean' }, ['displayNameZh']],
        [{ displayNameZh: '海天瑞声', displayNameEn: 'Data\u200etang\u2800' }, ['displayNameEn']],
        // Spaces and punctuation a reader does not tell apart.
        [{ displayNameZh: '数据堂 (北京) 科技股份有限公司', displayNameEn: 'Data-Tang' }, ['displayNameZh', 'displayNameEn']],
        [{ displayNameZh: '海天瑞声', displayNameEn: 'Data Tang.' }, ['displayNameEn']],
      ] as const) {
        const taken = await vendor.call('/v1/vendor/profile', 'PUT', copied);
        expect(taken.status).toBe(409);
        expect(taken.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = await json(taken);
        expect(problem).toMatchObject({ code: 'CONFLICT', detail: expect.stringContaining('Another vendor already shows') });
        expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(fields);
      }
      // Nothing changed, and each vendor may write its own names again.
      expect(await other.expect(200, '/v1/vendor/profile', 'PUT', { ...datatang, website: 'https://www.datatang.com' })).toMatchObject(datatang);
      // Nor its website, however it is written; and no website hides another host behind a user name.
      const ownNames = { displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean' };
      for (const website of ['https://www.datatang.com', 'http://DataTang.com/']) {
        const copied = await vendor.call('/v1/vendor/profile', 'PUT', { ...ownNames, website });
        expect([website, copied.status, (await json(copied)).errors]).toEqual([website, 409, [{ field: 'website', problems: ["website is another vendor's website"] }]]);
      }
      const disguised = await vendor.call('/v1/vendor/profile', 'PUT', { ...ownNames, website: 'https://www.datatang.com@evil.example' });
      expect([disguised.status, (await json(disguised)).errors]).toEqual([400, [expect.objectContaining({ field: 'website' })]]);
      expect((await vendor.call('/v1/vendor/profile', 'PUT', { displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean' })).status).toBe(200);
      expect((await vendor.call('/v1/vendor/profile', 'PUT', { displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean' })).status).toBe(200);
    });

    it('tells names apart as case folds them: WEISS is Weiß, ΛΟΓΟΣ is Λόγος', async () => {
      const weiss = await VendorClient.signUp(system, 'Weiß Sprachdaten GmbH');
      const logos = await VendorClient.signUp(system, 'Λόγος Data');
      await weiss.expect(200, '/v1/vendor/profile', 'PUT', { displayNameZh: '魏斯语音数据', displayNameEn: 'Weiß Sprachdaten' });
      await logos.expect(200, '/v1/vendor/profile', 'PUT', { displayNameZh: '逻各斯数据', displayNameEn: 'Λόγος Data' });
      for (const approved of [weiss, logos]) {
        await waitFor('the approval reaches the catalog', async () => (await system.request(`/v1/vendors/${approved.organizationId}`, anonymous)).status === 200);
      }
      for (const [who, displayNameEn] of [
        [logos, 'WEISS SPRACHDATEN'],
        [logos, 'weiss sprachdaten'],
        [logos, 'WEIẞ Sprachdaten'],
        [weiss, 'ΛΌΓΟΣ DATA'],
        [weiss, 'λόγοσ data'],
      ] as const) {
        const taken = await who.call('/v1/vendor/profile', 'PUT', { displayNameZh: '多语种语音数据', displayNameEn });
        expect([displayNameEn, taken.status, (await json(taken)).errors]).toEqual([displayNameEn, 409, [expect.objectContaining({ field: 'displayNameEn' })]]);
      }
    });

    it("lets a vendor awaiting approval reserve no name: a squatter cannot keep the real vendor from its own, nor take an approved vendor's", async () => {
      const magicData = { displayNameZh: '北京晴数智慧科技有限公司', displayNameEn: 'Magic Data' };
      // Anyone may sign up and write a profile before an operator looks: before, its names were
      // taken for good, and the real vendor, approved later, got 409 for its own.
      const squatter = await VendorClient.signUp(system, '晴数智慧 Magic Data 官方', false);
      await squatter.expect(200, '/v1/vendor/profile', 'PUT', magicData);
      const real = await VendorClient.signUp(system, '北京晴数智慧科技有限公司');
      expect(await real.expect(200, '/v1/vendor/profile', 'PUT', magicData)).toMatchObject(magicData);
      await waitFor('the approval reaches the catalog', async () => (await system.request(`/v1/vendors/${real.organizationId}`, anonymous)).status === 200);

      // Approved, the real vendor's names are its own: neither the squatter, nor another vendor
      // awaiting approval, may write them again, however they are spelled.
      const latecomer = await VendorClient.signUp(system, '晴数 Magic Data 数据服务', false);
      for (const [who, copied] of [
        [squatter, magicData],
        [latecomer, { displayNameZh: '北京晴数智慧科技有限公司', displayNameEn: 'Magic Data Services' }],
        [latecomer, { displayNameZh: '晴数数据服务', displayNameEn: 'ＭＡＧＩＣ  ＤＡＴＡ' }],
      ] as const) {
        const taken = await who.call('/v1/vendor/profile', 'PUT', copied);
        expect([taken.status, (await json(taken)).code]).toEqual([409, 'CONFLICT']);
      }
      // The squatter's profile keeps what it wrote before; only an operator's approval would show it.
      expect(await squatter.expect(200, '/v1/vendor/profile')).toMatchObject(magicData);
      expect((await system.request(`/v1/vendors/${squatter.organizationId}`, anonymous)).status).toBe(404);
    });

    it('keeps the names of an approved vendor while it is suspended, and reserves none for a sign-up an operator declined', async () => {
      const names = { displayNameZh: '远方数据科技有限公司', displayNameEn: 'Faraway Data' };
      const real = await VendorClient.signUp(system, '远方数据科技有限公司');
      await real.expect(200, '/v1/vendor/profile', 'PUT', names);
      const page = `/v1/vendors/${real.organizationId}`;
      await waitFor('the approval reaches the catalog', async () => (await system.request(page, anonymous)).status === 200);
      // Suspended for its paperwork before it published anything: its names stay its own.
      expect((await system.request(`/v1/admin/organizations/${real.organizationId}/suspend`, { method: 'POST', body: JSON.stringify({ reason: '营业执照年检材料待补充' }) })).status).toBe(200);
      await waitFor('the suspension reaches the catalog', async () => (await system.request(page, anonymous)).status === 404);
      const impostor = await VendorClient.signUp(system, '远方 Faraway 数据');
      const taken = await impostor.call('/v1/vendor/profile', 'PUT', names);
      expect([taken.status, (await json(taken)).code]).toEqual([409, 'CONFLICT']);

      // A sign-up an operator declines (suspends before approving) keeps nothing from anyone.
      const declined = await VendorClient.signUp(system, '近处数据 Nearby Data 官方', false);
      await declined.expect(200, '/v1/vendor/profile', 'PUT', { displayNameZh: '近处数据', displayNameEn: 'Nearby Data' });
      expect((await system.request(`/v1/admin/organizations/${declined.organizationId}/suspend`, { method: 'POST', body: JSON.stringify({ reason: '申请主体与营业执照不符' }) })).status).toBe(200);
      const nearby = await VendorClient.signUp(system, '近处数据科技有限公司');
      await waitFor('the suspension reaches the catalog', async () =>
        withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query(`SELECT 1 FROM organization_standing WHERE organization_id = $1 AND status = 'suspended'`, [declined.organizationId])).rowCount === 1),
      );
      expect((await nearby.call('/v1/vendor/profile', 'PUT', { displayNameZh: '近处数据', displayNameEn: 'Nearby Data' })).status).toBe(200);
    });

    it('shows a profile to everyone only once an operator approved the vendor, and not while it is suspended', async () => {
      // Anyone may sign up as a vendor under any name: before an operator looked, its profile was public.
      const impostor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean 官方', false);
      // A value of the wrong kind is told its kind.
      const wrong = await impostor.call('/v1/vendor/profile', 'PUT', { displayNameZh: '海天瑞声', displayNameEn: 'SpeechOcean', certifications: 'ISO 27001', website: 5 });
      expect((await json(wrong)).errors).toEqual([
        { field: 'website', problems: ['website must be a string'] },
        { field: 'certifications', problems: ['certifications must be an array'] },
      ]);
      await impostor.expect(200, '/v1/vendor/profile', 'PUT', { displayNameZh: '海天瑞声（官方）', displayNameEn: 'SpeechOcean (official)' });
      const profile = `/v1/vendors/${impostor.organizationId}`;
      expect((await system.request(profile, anonymous)).status).toBe(404);
      expect((await other.call(profile)).status).toBe(404);
      // The vendor itself and operators see it; the vendor also at its own address.
      expect((await impostor.call(profile)).status).toBe(200);
      expect(await impostor.expect(200, '/v1/vendor/profile')).toMatchObject({ displayNameEn: 'SpeechOcean (official)' });
      expect((await system.request(profile)).status).toBe(200);

      // Approved: public once the catalog has the approval.
      expect((await system.request(`/v1/admin/organizations/${impostor.organizationId}/approve`, { method: 'POST' })).status).toBe(200);
      await waitFor('the approval reaches the catalog', async () => (await system.request(profile, anonymous)).status === 200);
      expect(await json(await system.request(profile, anonymous))).toMatchObject({ displayNameEn: 'SpeechOcean (official)' });

      // Suspended: gone from public view again, like its listings.
      expect((await system.request(`/v1/admin/organizations/${impostor.organizationId}/suspend`, { method: 'POST' })).status).toBe(200);
      await waitFor('the suspension reaches the catalog', async () => (await system.request(profile, anonymous)).status === 404);
      expect((await system.request(profile)).status).toBe(200);
    });
  });

  describe('a version of many files', () => {
    const FILES = 12_000;
    const pathOf = (n: number) => `audio/speaker_${String(Math.floor(n / 100)).padStart(4, '0')}/utt_${String(n).padStart(6, '0')}.wav`;

    it("shows the listing's page, its release and its Croissant card, and pages through every file to whoever may see them", async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '普通话朗读语音 12,000 条' }));
      const version = await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0' });
      await vendor.upload(dataset.id, version.id, pathOf(0), Buffer.from('RIFF'));
      // The other 11,999 files as delivery records each upload: uploading them one by one would
      // take minutes, and what the catalog answers depends only on the manifest.
      await withDatabase(system.databases.get('catalog')!.url, (c) =>
        c.query(
          `INSERT INTO version_file (version_id, path, size, sha256, storage_key)
           SELECT $1, 'audio/speaker_' || lpad((n / 100)::text, 4, '0') || '/utt_' || lpad(n::text, 6, '0') || '.wav', 96000 + n, repeat('ab', 32), 'objects/' || n
           FROM generate_series(1, $2 - 1) AS n`,
          [version.id, FILES],
        ),
      );
      const expected = Array.from({ length: FILES }, (_, n) => pathOf(n)).sort();

      // A page holding every file was larger than a NATS message: 503 for all, after the timeout.
      const released = await vendor.expect(200, `/v1/datasets/${dataset.id}/versions/${version.id}/release`, 'POST');
      expect(released).toMatchObject({ status: 'released', fileCount: FILES });
      expect(released.files.map((f: { path: string }) => f.path)).toEqual(expected.slice(0, 100));

      const path = `/v1/datasets/${dataset.id}`;
      const files = `${path}/versions/${version.id}/files`;
      // Not public yet: the files are the vendor's and the operators' alone.
      expect((await system.request(files, anonymous)).status).toBe(404);
      expect((await other.call(files)).status).toBe(404);
      expect((await vendor.call(`${files}?limit=1`)).status).toBe(200);
      // An open version is its vendor's and the operators' on a published listing too.
      const next = await vendor.expect(201, `${path}/versions`, 'POST', { version: '1.1.0' });
      await vendor.upload(dataset.id, next.id, 'README.md', Buffer.from('# 1.1.0'));

      await vendor.expect(201, `${path}/offers`, 'POST', commercialOffer());
      await vendor.expect(200, `${path}/submit`, 'POST');
      expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);

      const page = await system.request(path, anonymous);
      expect(page.status).toBe(200);
      const detail = await json(page);
      expect(detail.versions).toEqual([expect.objectContaining({ version: '1.0.0', fileCount: FILES, files: expect.any(Array) })]);
      expect(detail.versions[0].files).toHaveLength(100);
      const card = await system.request(`${path}/croissant`, anonymous);
      expect(card.status).toBe(200);
      const fileObjects = (await json(card)).distribution.filter((d: { '@type': string }) => d['@type'] === 'cr:FileObject');
      expect(fileObjects.map((f: { name: string }) => f.name)).toEqual(expected.slice(0, 100));

      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const answer: Response = await system.request(`${files}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, anonymous);
        expect(answer.status).toBe(200);
        const body = await json(answer);
        listed.push(...body.items.map((f: { path: string; size: number; sha256: string }) => f.path));
        cursor = body.nextCursor;
      } while (cursor);
      expect(listed).toEqual(expected);

      expect((await system.request(`${path}/versions/${next.id}/files`, anonymous)).status).toBe(404);
      expect((await vendor.expect(200, `${path}/versions/${next.id}/files`)).items).toEqual([expect.objectContaining({ path: 'README.md' })]);
      expect((await json(await system.request(`${path}/versions/${next.id}/files`))).items).toHaveLength(1);
      const forged = await system.request(`${files}?cursor=${Buffer.from('a\u0000b').toString('base64url')}`, anonymous);
      expect([forged.status, (await json(forged)).code]).toEqual([400, 'VALIDATION_FAILED']);
      // A cursor is bound to the version that handed it out. Any other paged from somewhere (200,
      // `?cursor=abc` an empty page), where every other list answers 400.
      const handedOut = (await json(await system.request(`${files}?limit=1`, anonymous))).nextCursor;
      const refused = async (url: string) => {
        const answer = await vendor.call(url);
        return [answer.status, (await json(answer)).errors];
      };
      for (const cursor of ['abc', Buffer.from(expected[5], 'utf8').toString('base64url')]) {
        expect(await refused(`${files}?cursor=${cursor}`)).toEqual([400, [expect.objectContaining({ field: 'cursor' })]]);
      }
      expect(await refused(`${path}/versions/${next.id}/files?cursor=${handedOut}`)).toEqual([400, [expect.objectContaining({ field: 'cursor' })]]);
      // The longest path (512 bytes of UTF-8, in names of at most 255) makes the longest cursor, and it pages on.
      const longest = `Audio/${'语'.repeat(83)}xx/${'语'.repeat(83)}x.wav`;
      expect(Buffer.byteLength(longest, 'utf8')).toBe(512);
      await vendor.upload(dataset.id, next.id, longest, Buffer.from('RIFF'));
      const firstOfNext = await vendor.expect(200, `${path}/versions/${next.id}/files?limit=1`);
      expect(firstOfNext.items.map((f: { path: string }) => f.path)).toEqual([longest]);
      const restOfNext = await vendor.expect(200, `${path}/versions/${next.id}/files?limit=1&cursor=${firstOfNext.nextCursor}`);
      expect([restOfNext.items.map((f: { path: string }) => f.path), restOfNext.nextCursor]).toEqual([['README.md'], null]);
      expect((await system.request(`${files}?limit=101`, anonymous)).status).toBe(400);
      expect((await system.request(`${path}/versions/${next.id.replace(/.$/, '0')}/files`, anonymous)).status).toBe(404);
    });
  });
});
