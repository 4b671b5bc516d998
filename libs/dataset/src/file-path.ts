import { BLANK_CHARACTER, codePointName } from './invisible';

/** The longest path a file may have inside a dataset, in UTF-8 bytes. */
export const MAX_FILE_PATH_BYTES = 512;
/** The longest folder or file name within it, in UTF-8 bytes: what common filesystems hold. */
export const MAX_SEGMENT_BYTES = 255;
/**
 * Slashes and backslashes in all but name: solidus symbols of mathematics, box drawing, dingbats;
 * punctuation of other scripts drawn as one (U+1735 ᜵, U+3033 〳); and the combining overlays
 * that draw one through the character before them (`..\u0338` shows as `../`).
 */
const SLASH_LOOKALIKE = /[\u2044\u2215\u2571\u27cb\u29f6\u29f8\u2afd\u2e4a\u{1f67c}\u1735\u3033\u0337\u0338\u20eb\u2216\u2572\u27cd\u29f5\u29f7\u29f9\u{1f67d}\u20e5]/u;
/** Bidirectional controls, which a rule of their own refuses. */
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** What shows nothing in a name (`BLANK_CHARACTER`), bidirectional controls aside. */
const INVISIBLE_IN_PATH = new RegExp(`(?!${BIDI_CONTROL.source})${BLANK_CHARACTER.source}`, 'u');

/**
 * Names Windows keeps for devices, alone or before an extension, spaces before the extension
 * ignored as Windows ignores them (`con .txt` is CON): CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9
 * and LPT0-9 (with the superscript digits ¹ ² ³ too).
 */
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(?:\.[^/]*)?$/i;

/**
 * What is wrong with a file's path inside a dataset; empty when it is safe. A path names where
 * the file appears in a buyer's download (`audio/zh-CN/0001.wav`): relative, already
 * normalized, `/`-separated, with no `.`, `..` or empty segments, no backslashes or characters
 * drawn as a slash or backslash, drive letters, control, bidirectional-control or invisible
 * characters that other systems read or show differently, no spaces around segments, valid
 * Unicode in NFC, at most 512 bytes of UTF-8, and names that the filesystems buyers download to
 * can hold (below). Catalog checks it before an upload URL is signed and delivery again where
 * the bytes arrive; storage never uses it as a key.
 */
export function filePathProblems(path: string): string[] {
  if (path.length === 0) return ['path must not be empty'];
  const problems: string[] = [];
  if (Buffer.byteLength(path, 'utf8') > MAX_FILE_PATH_BYTES) problems.push(`path must be at most ${MAX_FILE_PATH_BYTES} bytes of UTF-8`);
  if (path.startsWith('/')) problems.push('path must be relative, not absolute (no leading /)');
  if (/^[A-Za-z]:/.test(path)) problems.push('path must be relative, not a drive path');
  if (path.includes('\\')) problems.push('path must use / between folders, not backslashes');
  // Characters drawn as a slash or a backslash: `audio\u22150001.wav` is one file at the root that
  // lists as `audio/0001.wav`, beside the real one. The slashes of mathematics, box drawing and
  // dingbats (U+2044 FRACTION SLASH, U+2215 DIVISION SLASH, U+29F8 BIG SOLIDUS, U+2AFD DOUBLE
  // SOLIDUS OPERATOR, ...) and their backslashes (U+2216 SET MINUS, U+29F5, U+29F9 BIG REVERSE
  // SOLIDUS, ...), punctuation of other scripts drawn so (U+1735, U+3033), and the combining
  // solidus overlays (U+0337, U+0338, U+20E5, U+20EB). Full-width and small forms (／ ＼ ﹨) fold into / and \ (NFKC) and are refused
  // below; letters that lean like a slash (ノ, 丿) stay, as do fractions (½ folds to 1⁄2).
  if (SLASH_LOOKALIKE.test(path)) {
    problems.push('path must not contain characters that look like / or \\ (such as U+2215 ∕, U+2044 ⁄, U+29F8 ⧸, U+2216 ∖, U+29F9 ⧹): such a name lists as a file inside a folder it is not in');
  }
  // C0 and C1 controls, and the line and paragraph separators, which break lines in listings.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(path)) problems.push('path must not contain control characters');
  // Bidirectional controls make `a\u202Egpj.exe` display as `aexe.jpg`.
  if (BIDI_CONTROL.test(path)) problems.push('path must not contain bidirectional control characters');
  // Characters that show nothing make `data/a\u200B.txt` a second file listed as `data/a.txt`:
  // every default-ignorable code point (format characters such as U+200B, U+2060, U+00AD,
  // U+FEFF; the joiners ZWJ and ZWNJ, since `a\u200Db.wav` lists as `ab.wav` as the tags `ab` and
  // `a\u200Db` read as one; variation selectors; Hangul fillers), and the blank braille cell. The
  // bidirectional controls, default-ignorable too, have the rule above.
  const invisible = INVISIBLE_IN_PATH.exec(path);
  if (invisible) {
    problems.push(
      `path must not contain invisible characters (it holds ${codePointName(invisible[0])}): default-ignorable code points such as the joiners U+200D and U+200C, U+200B, U+2060, U+00AD, U+FEFF, variation selectors and Hangul fillers, and the blank braille cell, show nothing, so two names would look alike`,
    );
  }
  // Half of a UTF-16 surrogate pair is no character: it has no UTF-8 and no URL encoding.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(path)) problems.push('path must be valid Unicode (half of a surrogate pair was sent)');
  if (path.normalize('NFC') !== path) problems.push('path must be in Unicode normalization form C (NFC)');
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) problems.push('path must not contain .. segments');
  if (segments.some((s) => s === '.')) problems.push('path must not contain . segments ("." is the folder itself)');
  if (segments.some((s, i) => s === '' && !(i === 0 && path.startsWith('/')))) problems.push('path must not contain empty segments (// or a trailing /)');
  if (segments.some((s) => s.trim() !== s)) problems.push('path segments must not start or end with spaces');
  // What a buyer's disk cannot hold, on the systems buyers download to: a folder or file name is
  // at most 255 bytes (ext4, APFS; NTFS counts 255 UTF-16 units, never fewer characters), and
  // Windows refuses < > : " | ? * in a name (`a.wav:x` would even write an NTFS alternate data
  // stream), drops a trailing dot (`v1.` and `v1` become one file) and reserves device names
  // (`nul.txt` is the device NUL).
  if (segments.some((s) => Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES)) problems.push(`path segments (folder and file names) must be at most ${MAX_SEGMENT_BYTES} bytes of UTF-8`);
  if (/[<>:"|?*]/.test(path)) problems.push('path must not contain < > : " | ? * (Windows cannot write them in a name)');
  if (segments.some((s) => s.endsWith('.') && s !== '.' && s !== '..')) problems.push('path segments must not end with a dot (Windows drops it)');
  if (segments.some((s) => WINDOWS_DEVICE.test(s))) problems.push('path segments must not be Windows device names (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9, LPT0-9, with or without an extension)');
  // Names a client may rewrite on its way to disk: a tool that percent-decodes the manifest's
  // paths would write `%2e%2e/x.txt` as `../x.txt`, and one that folds full-width forms (NFKC)
  // would read `．．／x.txt` as `../x.txt`. Other percent signs (`100%.txt`) and full-width
  // punctuation (`录音（1）.wav`) stay allowed.
  if (/%(?:2e|2f|5c)/i.test(path)) problems.push('path must not contain percent-encoded dots or slashes (%2e, %2f, %5c): a client that decodes them would write elsewhere');
  if (path.normalize('NFKC') !== path && readsAsTraversal(path.normalize('NFKC'), segments.length)) {
    problems.push('path must not contain characters that read as / \\ or . once folded (NFKC), such as full-width ／ ＼ ．');
  }
  return problems;
}

/** The folded path has separators or dot segments the path itself did not have. */
function readsAsTraversal(folded: string, segmentCount: number): boolean {
  const segments = folded.split('/');
  return folded.includes('\\') || segments.length !== segmentCount || segments.some((s) => s === '.' || s === '..');
}
