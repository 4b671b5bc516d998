export const MAX_PATH_BYTES = 512;

/**
 * Why a file path inside a dataset is unsafe, or nothing when it is safe: relative, already
 * normalized, `/`-separated, no `.`/`..`/empty segments, no backslashes or control characters,
 * no drive letters, no spaces around segments, at most 512 bytes of UTF-8. Catalog checks the
 * same when it signs; delivery checks again where the bytes arrive, and never uses the path to
 * name anything in storage.
 */
export function unsafePathProblems(path: string): string[] {
  const problems: string[] = [];
  if (path.length === 0) return ['path must not be empty'];
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) problems.push(`path must be at most ${MAX_PATH_BYTES} bytes of UTF-8`);
  if (path.startsWith('/')) problems.push('path must be relative (no leading /)');
  if (/^[A-Za-z]:/.test(path)) problems.push('path must be relative, not a drive path');
  if (path.includes('\\')) problems.push('path must use / between folders, not backslashes');
  if (/[\u0000-\u001f\u007f]/.test(path)) problems.push('path must not contain control characters');
  if (path.normalize('NFC') !== path) problems.push('path must be Unicode NFC');
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) problems.push('path must not contain .. segments');
  if (segments.some((s) => s === '.')) problems.push('path must not contain . segments');
  if (segments.some((s, i) => s === '' && !(i === 0 && path.startsWith('/')))) problems.push('path must not contain empty segments (// or a trailing /)');
  if (segments.some((s) => s.trim() !== s)) problems.push('path segments must not start or end with spaces');
  return problems;
}
