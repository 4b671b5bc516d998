/** The longest path a file may have inside a dataset, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 512;

/**
 * Why a file path inside a dataset is unsafe, or null when it is fine. A path is relative
 * (`audio/zh-CN/0001.wav`), already normalized and portable: it names where the file appears in
 * a buyer's download, so it must not climb out (`..`), start at a root, hide in empty or `.`
 * segments, or carry backslashes and control characters that other systems read differently.
 * Storage never uses it as a key.
 */
export function unsafePathReason(path: string): string | null {
  if (path.length === 0) return 'path must not be empty';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return `path must be at most ${MAX_PATH_BYTES} bytes`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'path must not contain control characters';
  if (path.includes('\\')) return 'path must use / and contain no backslash';
  if (path.startsWith('/')) return 'path must be relative, not absolute';
  if (/^[A-Za-z]:/.test(path)) return 'path must be relative, not a drive path';
  if (path !== path.normalize('NFC')) return 'path must be in Unicode normalization form C';
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) return 'path must not contain ".." segments';
  if (segments.some((s) => s === '' || s === '.')) return 'path must be normalized: no empty or "." segments';
  if (segments.some((s) => s.trim() !== s)) return 'path segments must not start or end with spaces';
  return null;
}
