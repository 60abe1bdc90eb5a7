import { ExtractionError } from '../errors.js';

/** Images above this many pixels are refused before decoding (decompression bombs). */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface ImageSize {
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number): number => u16le(b, i) | (b[i + 2]! << 16);
const u32 = (b: Uint8Array, i: number, littleEndian: boolean): number =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(i, littleEndian);
const ascii = (b: Uint8Array, from: number, to: number): string =>
  String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));

function pngSize(b: Uint8Array): ImageSize | null {
  if (b.length < 24 || ascii(b, 12, 16) !== 'IHDR') return null;
  return { width: u32(b, 16, false), height: u32(b, 20, false) };
}

/** Markers that stand alone, without a length: TEM, RST0-7 and SOI. */
const isStandaloneMarker = (m: number): boolean => m === 0x01 || (m >= 0xd0 && m <= 0xd8);
/** Start-of-frame markers (SOF0-15 except DHT, JPG and DAC, which share the range). */
const isStartOfFrame = (m: number): boolean =>
  m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * JPEG: walk the segments to the first start-of-frame marker. Any number of 0xFF fill bytes may
 * precede a marker (ITU T.81 B.1.1.2), and decoders skip them, so the walk skips them too: a
 * walk that stopped there would report no size while the decoder still finds the frame.
 */
function jpegSize(b: Uint8Array): ImageSize | null {
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) return null;
    while (b[i] === 0xff) i++;
    const marker = b[i++];
    if (marker === undefined) return null;
    if (isStandaloneMarker(marker)) continue;
    if (marker === 0xd9 || marker === 0xda || i + 2 > b.length) return null; // EOI or scan data before any frame
    if (isStartOfFrame(marker))
      return i + 7 <= b.length ? { height: u16be(b, i + 3), width: u16be(b, i + 5) } : null;
    const length = u16be(b, i);
    if (length < 2) return null;
    i += length;
  }
  return null;
}

function gifSize(b: Uint8Array): ImageSize | null {
  return b.length < 10 ? null : { width: u16le(b, 6), height: u16le(b, 8) };
}

function bmpSize(b: Uint8Array): ImageSize | null {
  if (b.length < 26) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Core headers (12 bytes) store 16-bit sizes; later ones 32-bit, with a negative height for top-down.
  if (view.getUint32(14, true) === 12) return { width: u16le(b, 18), height: u16le(b, 20) };
  return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
}

function webpSize(b: Uint8Array): ImageSize | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 16);
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = u32(b, 21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return null;
}

/** TIFF: the ImageWidth (256) and ImageLength (257) tags of the first image file directory. */
function tiffSize(b: Uint8Array): ImageSize | null {
  if (b.length < 8) return null;
  const le = b[0] === 0x49;
  const u16 = (i: number): number => (le ? u16le(b, i) : u16be(b, i));
  const ifd = u32(b, 4, le);
  if (ifd + 2 > b.length) return null;
  const count = u16(ifd);
  let width = 0;
  let height = 0;
  for (let e = ifd + 2; e + 12 <= b.length && e < ifd + 2 + count * 12; e += 12) {
    const tag = u16(e);
    if (tag !== 256 && tag !== 257) continue;
    const value = u16(e + 2) === 3 ? u16(e + 8) : u32(b, e + 8, le);
    if (tag === 256) width = value;
    else height = value;
  }
  return { width, height };
}

function declaredSize(b: Uint8Array): ImageSize | null {
  if (b[0] === 0x89 && ascii(b, 1, 4) === 'PNG') return pngSize(b);
  if (b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  if (ascii(b, 0, 4) === 'GIF8') return gifSize(b);
  if (ascii(b, 0, 2) === 'BM') return bmpSize(b);
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return webpSize(b);
  if (ascii(b, 0, 4) === 'II*\u0000' || ascii(b, 0, 4) === 'MM\u0000*') return tiffSize(b);
  return null;
}

/**
 * Reads the declared size from the header and refuses images larger than the pixel cap. An image
 * whose size cannot be read is refused too: the cap must hold for every image that reaches a
 * decoder, and "unknown" would otherwise be a way around it.
 */
export function checkImageSize(bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageSize {
  const size = declaredSize(bytes);
  if (!size || size.width === 0 || size.height === 0) {
    throw new ExtractionError('corrupt_image', 'the image header does not declare a readable size');
  }
  if (size.width * size.height > maxPixels) {
    throw new ExtractionError(
      'image_too_large',
      `image of ${size.width}x${size.height} pixels exceeds the limit`,
    );
  }
  return size;
}
