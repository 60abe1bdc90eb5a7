/**
 * Issue 13, finding 10: a PDF decompression bomb (1 MB of page content inflating to 1 GB took
 * 38 s of CPU; 4 MB to 4 GB ran into the 125 s timeout, and was retried) tied up extraction
 * slots. Each bomb here is extracted in a child process, as the worker thread does: it must be
 * refused as pdf_limit_exceeded within seconds and with peak RSS growth under 200 MB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { afterAll, describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { checkPdfStreams } from '../../../src/extraction/pdf/stream-budget.js';
import { isPermanentRefusal } from '../../../src/modules/extractions/extractions.failures.js';
import { deflatedZeros } from '../../helpers/zip-writer.js';

const MAX_GROWTH_MB = 200;
const MAX_SECONDS = 10;
const dir = mkdtempSync(join(tmpdir(), 'doklad-pdf-bomb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A zlib stream of `mib` MiB of zeros (NUL is white space to the content lexer), about 1 kB per MiB. */
function zerosStream(doc: mupdf.PDFDocument, mib: number, extra: Record<string, unknown> = {}) {
  const zlibHeader = Uint8Array.of(0x78, 0x9c); // no Adler-32 trailer, as truncated writers do
  return doc.addRawStream(Buffer.concat([zlibHeader, deflatedZeros(mib)]), {
    Filter: 'FlateDecode',
    ...extra,
  });
}

/** A one-page PDF whose page content stream inflates to `mib` MiB. */
function contentBombPdf(mib: number): Uint8Array {
  const doc = new mupdf.PDFDocument();
  const page = doc.addPage([0, 0, 595, 842], 0, {}, '');
  page.put('Contents', zerosStream(doc, mib));
  doc.insertPage(-1, page);
  return doc.saveToBuffer('').asUint8Array().slice();
}

/** A one-page PDF that draws a Form XObject whose content inflates to `mib` MiB. */
function formBombPdf(mib: number): Uint8Array {
  const doc = new mupdf.PDFDocument();
  const form = zerosStream(doc, mib, { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 595, 842] });
  const resources = doc.addObject({ XObject: { X0: form } });
  doc.insertPage(-1, doc.addPage([0, 0, 595, 842], 0, resources, 'q /X0 Do Q'));
  return doc.saveToBuffer('').asUint8Array().slice();
}

/** A one-page PDF showing text in a TrueType font whose embedded program inflates to `mib` MiB. */
function fontBombPdf(mib: number): Uint8Array {
  const doc = new mupdf.PDFDocument();
  const descriptor = doc.addObject({
    Type: 'FontDescriptor',
    FontName: 'Bomb',
    Flags: 32,
    FontBBox: [0, 0, 1000, 1000],
    ItalicAngle: 0,
    Ascent: 800,
    Descent: -200,
    CapHeight: 700,
    StemV: 80,
    FontFile2: zerosStream(doc, mib),
  });
  const font = doc.addObject({
    Type: 'Font',
    Subtype: 'TrueType',
    BaseFont: 'Bomb',
    FontDescriptor: descriptor,
  });
  const resources = doc.addObject({ Font: { F1: font } });
  doc.insertPage(
    -1,
    doc.addPage([0, 0, 595, 842], 0, resources, 'BT /F1 12 Tf 72 720 Td (Invoice 2024-001) Tj ET'),
  );
  return doc.saveToBuffer('').asUint8Array().slice();
}

function measure(name: string, bytes: Uint8Array) {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/extraction-peak-rss.ts', file],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  expect(child.status, child.stderr).toBe(0);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    outcome: string;
    beforeKb: number;
    peakKb: number;
  };
  const growthMb = (report.peakKb - report.beforeKb) / 1024;
  console.log(
    `${name}: ${(bytes.length / 1024).toFixed(0)} kB -> ${report.outcome} in ${seconds.toFixed(1)} s; RSS growth ${growthMb.toFixed(1)} MB`,
  );
  return { ...report, growthMb, seconds };
}

describe('PDF decompression bombs', () => {
  it.each([
    ['1 MB of page content inflating to 1 GB (was 38 s of CPU)', () => contentBombPdf(1024)],
    ['4 MB of page content inflating to 4 GB (was a 125 s timeout, retried)', () => contentBombPdf(4096)],
    ['a Form XObject inflating to 1 GB', () => formBombPdf(1024)],
    ['an embedded font program inflating to 1 GB', () => fontBombPdf(1024)],
  ])(
    'refuses %s fast, as pdf_limit_exceeded, with peak RSS growth under 200 MB',
    (name, build) => {
      const r = measure(name.slice(0, 24).replace(/\W+/g, '-'), build());
      expect(r.outcome).toBe('pdf_limit_exceeded');
      expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
      expect(r.seconds).toBeLessThan(MAX_SECONDS);
    },
    150_000,
  );

  it('is a permanent refusal: the pipeline does not retry it', async () => {
    const error = await extractInvoice({ bytes: contentBombPdf(128) }, { ocr: false, qr: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExtractionError);
    expect(isPermanentRefusal(error)).toBe(true);
  });

  it('refuses a page whose inline image declares more pixels than the cap, before rendering it', () => {
    for (const compress of [false, true]) {
      const doc = new mupdf.PDFDocument();
      const content = 'q 595 0 0 842 0 0 cm\nBI /W 40000 /H 40000 /CS /G /BPC 8 /F /AHx ID 00> EI Q';
      const page = doc.addPage([0, 0, 595, 842], 0, {}, '');
      page.put(
        'Contents',
        compress
          ? doc.addRawStream(deflateSync(Buffer.from(content)), { Filter: 'FlateDecode' })
          : doc.addRawStream(Buffer.from(content), {}),
      );
      doc.insertPage(-1, page);
      expect(() => checkPdfStreams(doc, 1)).toThrow(
        expect.objectContaining({ code: 'image_too_large' }) as unknown as Error,
      );
    }
  });

  it('still reads a PDF whose page content is large but within the budget', async () => {
    const result = await extractInvoice({ bytes: contentBombPdf(16) }, { ocr: false, qr: false });
    expect(result.format).toBe('pdf-text');
  });
});
