import { createHmac, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../signing/signing-keys';
import { rootStatement } from './merkle';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface RootSignature {
  alg: 'Ed25519';
  /** The id of the delivery key it was derived from: keys rotate together. */
  kid: string;
  /** Base64 of the 64-byte Ed25519 signature. */
  sig: string;
  /** Base64 of the raw 32-byte Ed25519 public key, so a buyer can verify without any secret. */
  publicKey: string;
}

interface ManifestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyRaw: Buffer;
}

/**
 * Signs manifest roots with Ed25519 keys derived from the delivery signing keys
 * (seed = HMAC-SHA256(key secret, "trove-manifest-ed25519")): no second secret to manage, and a
 * signature a buyer can check with the public key alone.
 */
export class ManifestSigner {
  private readonly keys: ManifestKey[];

  constructor(signingKeys: SigningKey[]) {
    this.keys = signingKeys.map((key) => {
      const seed = createHmac('sha256', key.secret).update('trove-manifest-ed25519').digest();
      const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
      const publicKey = createPublicKey(privateKey);
      const publicKeyRaw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      return { kid: key.id, privateKey, publicKey, publicKeyRaw };
    });
  }

  sign(datasetId: string, versionId: string, root: string): RootSignature {
    const key = this.keys[0];
    const sig = sign(null, Buffer.from(rootStatement(datasetId, versionId, root), 'utf8'), key.privateKey);
    return { alg: 'Ed25519', kid: key.kid, sig: sig.toString('base64'), publicKey: key.publicKeyRaw.toString('base64') };
  }

  /** The public keys by key id, for buyers to pin. */
  publicKeys(): { kid: string; publicKey: string }[] {
    return this.keys.map((key) => ({ kid: key.kid, publicKey: key.publicKeyRaw.toString('base64') }));
  }

  verify(datasetId: string, versionId: string, root: string, signature: RootSignature): boolean {
    const key = this.keys.find((k) => k.kid === signature.kid);
    if (!key) return false;
    return verify(null, Buffer.from(rootStatement(datasetId, versionId, root), 'utf8'), key.publicKey, Buffer.from(signature.sig, 'base64'));
  }
}
