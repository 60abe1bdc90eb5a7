/**
 * Makes a client-supplied filename safe to store and to send back in Content-Disposition: no
 * directories, no control or bidi-override characters, no leading dots, bounded length, and the
 * extension of the sniffed type. Filenames never become storage paths (blobs are named by id).
 */
// Control characters are what this removes, so the rule against them in patterns does not apply.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"\\/:*?<>|]/g;
const MAX_LENGTH = 200;

export function sanitizeFilename(raw: string | undefined, extension: string): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  let name = base.normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  name = name.replace(/\.[A-Za-z0-9]{1,8}$/, '');
  if (!name) name = 'document';
  const chars = [...name];
  if (chars.length > MAX_LENGTH) name = chars.slice(0, MAX_LENGTH).join('');
  return `${name}.${extension}`;
}

/** `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(filename: string): string {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
