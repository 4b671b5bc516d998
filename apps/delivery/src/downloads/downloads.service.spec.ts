import type { UnitOfWork } from '@trove/messaging';
import { defaultTerms } from '@trove/licensing';
import { UrlSigner } from '../signing/url-signer';
import type { DownloadRepository, DownloadTarget } from './download.repository';
import { downloadGrant, type DownloadTicket } from './download-ticket';
import type { DeliveryConfig } from '../delivery.config';
import { DownloadsService, fileBytesAllowed, holdWindow } from './downloads.service';

const config = { DOWNLOAD_HOLD_MIN_WINDOW_BYTES: 1024 ** 2 } as DeliveryConfig;
const signer = new UrlSigner([{ id: 'kid1', secret: Buffer.alloc(32, 7) }]);
const ticket: DownloadTicket = {
  entitlementId: '6f1c1f0e-2b55-4d55-9a59-0f3a3c8d9b21',
  versionId: '0b6f3c1e-4f7a-4d0e-9d1c-2a1f5e8b7c90',
  path: 'audio/zh-CN/普通话_0001.wav',
  caller: { organizationId: '5d2c9a4e-1b3f-4c6d-8e7f-9a0b1c2d3e4f', keyId: 'a'.repeat(32) },
  expires: Math.floor(Date.now() / 1000) + 3600,
};
const target = (status: DownloadTarget['status']): DownloadTarget => ({
  entitlementId: ticket.entitlementId,
  orderId: '7e1d0c2b-9a8f-4e6d-8c5b-4a3f2e1d0c9b',
  buyerOrganizationId: ticket.caller.organizationId,
  datasetId: '3f2a0000-1b3f-4c6d-8e7f-9a0b1c2d3e4f',
  status,
  terms: defaultTerms('commercial'),
  pricingModel: 'one_time',
  allowanceBytes: null,
  perGib: false,
  grantedAt: new Date(Date.now() - 1000),
  expiresAt: null,
  key: 'datasets/3f2a0000-1b3f-4c6d-8e7f-9a0b1c2d3e4f/a1',
  size: 3145745,
  sha256: 'ab'.repeat(32),
  keyRevoked: false,
  organizationStatus: null,
});

/** A repository whose reads answer when the test says, counting them. */
function slowRepository() {
  const pending: ((t: DownloadTarget) => void)[] = [];
  const repository = {
    target: jest.fn(() => new Promise<DownloadTarget>((resolve) => pending.push(resolve))),
  } as unknown as DownloadRepository & { target: jest.Mock };
  return { repository, answer: (t: DownloadTarget) => pending.splice(0).forEach((resolve) => resolve(t)) };
}

const unitOfWork = { read: <T>(work: () => Promise<T>) => work() } as unknown as UnitOfWork;
const parsed = { ticket, signature: signer.sign(downloadGrant(ticket)) };

describe('DownloadsService.admit', () => {
  it('answers parallel requests for one file with one read of the entitlement, and reads again for the next request', async () => {
    const { repository, answer } = slowRepository();
    const service = new DownloadsService(signer, repository, unitOfWork, config);
    const ranges = Array.from({ length: 8 }, () => service.admit(parsed));
    await new Promise((resolve) => setImmediate(resolve));
    answer(target('active'));
    expect((await Promise.all(ranges)).every((t) => t.status === 'active')).toBe(true);
    expect(repository.target).toHaveBeenCalledTimes(1);

    // The refund committed: the next request reads the row again and is refused.
    const next = service.admit(parsed);
    await new Promise((resolve) => setImmediate(resolve));
    answer(target('revoked'));
    await expect(next).rejects.toMatchObject({ code: 'ENTITLEMENT_REVOKED' });
    expect(repository.target).toHaveBeenCalledTimes(2);
  });

  it('refuses a URL whose API key was revoked, or whose organization is suspended, with the same read', async () => {
    const { repository, answer } = slowRepository();
    const service = new DownloadsService(signer, repository, unitOfWork, config);
    const asked = async (standing: Partial<DownloadTarget>) => {
      const admitted = service.admit(parsed);
      await new Promise((resolve) => setImmediate(resolve));
      answer({ ...target('active'), ...standing });
      return admitted;
    };
    await expect(asked({ keyRevoked: true })).rejects.toMatchObject({ code: 'API_KEY_REVOKED', status: 403 });
    await expect(asked({ organizationStatus: 'suspended' })).rejects.toMatchObject({ code: 'ORGANIZATION_SUSPENDED', status: 403 });
    await expect(asked({ organizationStatus: 'active' })).resolves.toMatchObject({ status: 'active' });
    expect(repository.target).toHaveBeenCalledTimes(3);
    expect(repository.target).toHaveBeenLastCalledWith(ticket.entitlementId, ticket.versionId, ticket.path, ticket.caller.keyId);
  });

  it('does not share a read between two API keys: one key revoked does not answer for the other', async () => {
    const { repository, answer } = slowRepository();
    const service = new DownloadsService(signer, repository, unitOfWork, config);
    const other: DownloadTicket = { ...ticket, caller: { ...ticket.caller, keyId: 'b'.repeat(32) } };
    const first = service.admit(parsed);
    const second = service.admit({ ticket: other, signature: signer.sign(downloadGrant(other)) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(repository.target).toHaveBeenCalledTimes(2);
    answer(target('active'));
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
  });
});

// What the check admits under an entitlement with limits is decided in the database (one
// transaction shared by every replica): test/allowance.test.ts and test/limits.test.ts run it
// against PostgreSQL.
describe('DownloadsService.reserve: entitlements without limits', () => {
  const GIB = 1024 ** 3;
  const use = { keyId: ticket.caller.keyId, startsNew: true, start: 0, bytes: GIB };

  it('costs nothing for offers sold otherwise without seats or download limit, or for a request of no bytes that starts no download: no transaction, no query', async () => {
    const untouched = () => {
      throw new Error('no I/O expected');
    };
    const repository = new Proxy({}, { get: untouched }) as DownloadRepository;
    const uow = new Proxy({}, { get: untouched }) as UnitOfWork;
    const service = new DownloadsService(signer, repository, uow, config);
    expect(await service.reserve(target('active'), use)).toBeNull();
    expect(await service.reserve({ ...target('active'), pricingModel: 'metered', allowanceBytes: 2 * GIB, perGib: true }, { ...use, bytes: 0 })).toBeNull();
    const limited = { ...target('active'), terms: { ...defaultTerms('commercial'), downloadLimit: 1 } };
    expect(await service.reserve(limited, { ...use, startsNew: false, bytes: 0 })).toBeNull();
  });
});

describe('fileBytesAllowed', () => {
  const MIB = 1024 ** 2;

  it('allows downloadLimit copies of the file and a tenth of it for resumes, at most 16 MiB', () => {
    // A 3 MiB utterance file: 10 % margin.
    expect(fileBytesAllowed(1, 3 * MIB)).toBe(3 * MIB + Math.floor((3 * MIB) / 10));
    // A 2 GiB archive of a corpus: the margin stops at 16 MiB, whatever the number of copies.
    expect(fileBytesAllowed(3, 2048 * MIB)).toBe(3 * 2048 * MIB + 16 * MIB);
    // A transcript of 61 bytes: 6 bytes of margin.
    expect(fileBytesAllowed(1, 61)).toBe(67);
    expect(fileBytesAllowed(2, 0)).toBe(0);
  });
});

describe('holdWindow', () => {
  const MIB = 1024 ** 2;

  it('grows a hold by a sixteenth of the file, at least 1 MiB (or the setting) and at most 8 MiB', () => {
    // A 3 MiB utterance file: 1 MiB at a time, or a sixteenth of it when the setting allows.
    expect(holdWindow(3 * MIB + 17)).toBe(MIB);
    expect(holdWindow(3 * MIB + 17, 64 * 1024)).toBe(Math.ceil((3 * MIB + 17) / 16));
    // A 24 MiB recording: 8 connections of a download manager hold 12 MiB at first, half a copy.
    expect(holdWindow(24 * MIB)).toBe(1.5 * MIB);
    // A 100 GiB archive: 8 MiB at a time, within the 16 MiB margin for resumes.
    expect(holdWindow(100 * 1024 * MIB)).toBe(8 * MIB);
  });

  it("keeps the window a stalled connection holds past what it sent within the margin for resumes, so the buyer's resume beside it is admitted under downloadLimit 1", () => {
    // From 10 MiB (a tenth of it is the 1 MiB least window) to 1 TiB.
    for (let size = 10 * MIB; size <= 1024 * 1024 * MIB; size = Math.ceil(size * 1.37)) {
      expect({ size, fits: holdWindow(size) <= fileBytesAllowed(1, size) - size }).toEqual({ size, fits: true });
    }
  });
});
