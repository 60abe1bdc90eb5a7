import * as mupdf from 'mupdf';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { checkImageSize } from '../../../src/extraction/ocr/image-size.js';

afterAll(disposeExtraction);

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

/** SOF0 declaring 12000 x 12000 pixels (144 Mpx, over the 40 Mpx cap). */
const SOF0_144MPX = [
  0xff, 0xc0, 0x00, 0x11, 0x08, 0x2e, 0xe0, 0x2e, 0xe0, 0x03, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1,
];

const refusedAs = (code: string) => (e: unknown) => e instanceof ExtractionError && e.code === code;

function smallJpeg(width: number, height: number): Uint8Array {
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, width, height], false);
  pixmap.clear(255);
  return pixmap.asJPEG(80, false).slice();
}

describe('image pixel cap', () => {
  it('refuses a JPEG whose oversized frame hides behind 0xFF fill bytes after SOI, before decoding', async () => {
    for (const fill of [1, 2, 7]) {
      const jpeg = bytes([0xff, 0xd8], Array<number>(fill).fill(0xff), SOF0_144MPX, [0xff, 0xd9]);
      expect(() => checkImageSize(jpeg)).toThrow(/12000x12000/);
      await expect(extractInvoice({ bytes: jpeg })).rejects.toSatisfy(refusedAs('image_too_large'));
    }
  });

  it('refuses a JPEG whose oversized frame follows an APP segment with fill bytes', () => {
    const app0 = [0xff, 0xe0, 0x00, 0x04, 0, 0];
    const jpeg = bytes([0xff, 0xd8], app0, [0xff, 0xff, 0xff], SOF0_144MPX);
    expect(() => checkImageSize(jpeg)).toThrow(/12000x12000/);
  });

  it.each([
    ['a JPEG without a frame header', bytes([0xff, 0xd8, 0xff, 0xd9])],
    ['a JPEG with junk between segments', bytes([0xff, 0xd8, 0x00, 0x00], SOF0_144MPX)],
    ['a JPEG whose scan starts before any frame', bytes([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02], SOF0_144MPX)],
    ['a truncated JPEG frame header', bytes([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08])],
    ['a truncated PNG', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR')],
    [
      'a PNG without IHDR first',
      bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'tEXt', Array<number>(9).fill(1)),
    ],
    [
      'a PNG declaring zero width',
      bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR', [0, 0, 0, 0, 0, 0, 1, 0, 8]),
    ],
    ['a truncated GIF', bytes('GIF89a', [1])],
    ['a TIFF without width and length tags', bytes('II*\0', [8, 0, 0, 0, 0, 0])],
    ['a TIFF whose directory lies past the end', bytes('MM\0*', [0x7f, 0, 0, 0])],
    ['a truncated BMP', bytes('BM', [0, 0, 0, 0])],
    [
      'a WebP with an unknown first chunk',
      bytes('RIFF', [0, 0, 0, 0], 'WEBPXXXX', Array<number>(20).fill(0)),
    ],
  ])('refuses %s: an unknown size is a refusal, not a pass', async (_, image) => {
    expect(() => checkImageSize(image)).toThrow(ExtractionError);
    await expect(extractInvoice({ bytes: image })).rejects.toBeInstanceOf(ExtractionError);
  });

  it('reads the declared size of every image type it accepts', () => {
    expect(checkImageSize(smallJpeg(31, 17))).toEqual({ width: 31, height: 17 });
    expect(checkImageSize(bytes('GIF89a', [0x2c, 0x01, 0xc8, 0x00]))).toEqual({ width: 300, height: 200 });
    const bmp = new Uint8Array(26);
    bmp.set(bytes('BM'));
    new DataView(bmp.buffer).setUint32(14, 40, true);
    new DataView(bmp.buffer).setInt32(18, 640, true);
    new DataView(bmp.buffer).setInt32(22, -480, true);
    expect(checkImageSize(bmp)).toEqual({ width: 640, height: 480 });
    const tiff = bytes(
      'II*\0',
      [8, 0, 0, 0],
      [2, 0],
      [0, 1, 3, 0, 1, 0, 0, 0, 0x20, 3, 0, 0],
      [1, 1, 4, 0, 1, 0, 0, 0, 0x58, 2, 0, 0],
    );
    expect(checkImageSize(tiff)).toEqual({ width: 800, height: 600 });
    const webp = bytes(
      'RIFF',
      [0, 0, 0, 0],
      'WEBPVP8X',
      [10, 0, 0, 0, 0, 0, 0, 0],
      [0x1f, 0x03, 0x00, 0x57, 0x02, 0x00],
    );
    expect(checkImageSize(webp)).toEqual({ width: 800, height: 600 });
  });

  it('refuses a TIFF declaring more pixels than the cap, before decoding', () => {
    const tiff = bytes(
      'MM\0*',
      [0, 0, 0, 8],
      [0, 2],
      [1, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0x2e, 0xe0],
      [1, 1, 0, 4, 0, 0, 0, 1, 0, 0, 0x2e, 0xe0],
    );
    expect(() => checkImageSize(tiff)).toThrow(/12000x12000/);
  });
});
