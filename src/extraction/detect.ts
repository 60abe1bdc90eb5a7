export type InputKind = 'pdf' | 'xml' | 'zip' | 'image' | 'unknown';

const startsWith = (bytes: Uint8Array, sig: number[], offset = 0): boolean =>
  sig.every((b, i) => bytes[offset + i] === b);

/**
 * Decides the input kind from magic bytes; the filename and content type are only hints and are
 * never trusted over the content.
 */
export function detectInputKind(bytes: Uint8Array): InputKind {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  if (head.includes('%PDF-')) return 'pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'image';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'image';
  if (startsWith(bytes, [0x42, 0x4d]) || head.startsWith('GIF8')) return 'image';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'image';
  // UTF-8 BOM read as latin1, and the NUL bytes of UTF-16, are not part of the markup.
  const text = head
    .replace(/^\u00ef\u00bb\u00bf|^\u00ff\u00fe|^\u00fe\u00ff/, '')
    .replaceAll('\u0000', '')
    .trimStart();
  if (text.startsWith('<')) return 'xml';
  return 'unknown';
}
