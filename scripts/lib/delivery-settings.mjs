// Delivery's settings for npm start: the keys that sign file URLs, where objects are kept, and
// the address signed URLs point at. Node built-ins only (runs before dependencies are installed).
//
// DELIVERY_SIGNING_KEYS from the environment when set, else .trove/delivery-signing-keys (made
// on the first start: one key `k<yyyymmdd>:<32 random bytes, base64>`, mode 600). Rotating: put
// a new key first in that file (`knew:...,kold:...`); the old one keeps verifying the URLs it
// signed until it is removed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './util.mjs';

const KEY_LIST = /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,})*$/;

export function newSigningKey(now = new Date()) {
  return `k${now.toISOString().slice(0, 10).replace(/-/g, '')}:${crypto.randomBytes(32).toString('base64')}`;
}

/** The signing keys: { keys, source }. A file that does not hold keys is replaced (nothing signed with it works). */
export function settleSigningKeys(root, log) {
  const fromEnv = process.env.DELIVERY_SIGNING_KEYS?.trim();
  if (fromEnv) return { keys: fromEnv, source: 'from DELIVERY_SIGNING_KEYS' };
  const file = path.join(stateDir(root), 'delivery-signing-keys');
  if (fs.existsSync(file)) {
    const keys = fs.readFileSync(file, 'utf8').trim();
    if (KEY_LIST.test(keys)) {
      fs.chmodSync(file, 0o600);
      return { keys, source: 'saved in .trove/delivery-signing-keys' };
    }
    log?.warn('.trove/delivery-signing-keys does not hold <key id>:<base64 secret> keys: replacing it');
  }
  const keys = newSigningKey();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${keys}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { keys, source: 'new, saved in .trove/delivery-signing-keys' };
}

/** The environment delivery gets from npm start, on top of the common one. */
export function deliveryEnv(root, { keys, port }) {
  return {
    DELIVERY_SIGNING_KEYS: keys,
    STORAGE_DIR: process.env.STORAGE_DIR || path.join(stateDir(root), 'objects'),
    DELIVERY_PUBLIC_URL: process.env.DELIVERY_PUBLIC_URL || `http://localhost:${port}`,
  };
}
