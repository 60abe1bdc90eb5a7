/**
 * Security finding "High 2 — ISDOCX zip bomb" (issue 13): an 820 kB upload grew the worker by
 * 1.3 GB, a 2 MB one (100 entries) by 2.5 GB; the same limits hold for PDF attachments. Each bomb
 * here is extracted in a child process and its peak RSS growth must stay under 200 MB for any
 * upload within the 50 MiB size limit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as mupdf from 'mupdf';
import { afterAll, describe, expect, it } from 'vitest';
import { deflatedZeros, writeZip, type ZipEntryInput } from '../../helpers/zip-writer.js';
import { isdocXml } from './fixtures/xml-fixtures.js';

const MiB = 1024 * 1024;
const UPLOAD_LIMIT_BYTES = 50 * MiB; // DOCUMENT_MAX_BYTES' default
const MAX_GROWTH_MB = 200;
const dir = mkdtempSync(join(tmpdir(), 'doklad-zip-bomb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const invoice: ZipEntryInput = { name: 'invoice.isdoc', data: Buffer.from(isdocXml()) };
const zeros19 = deflatedZeros(19);
const zeros19Crc = crc32(new Uint8Array(19 * MiB));

/** The finding's bomb: a valid invoice first (so the upload sniffer accepts it), then `count` .isdoc entries of 19 MiB zeros. */
function manyEntryBomb(count: number): Uint8Array {
  const entries = Array.from({ length: count }, (_, i) => ({
    name: `attachments/${i}.isdoc`,
    compressed: zeros19,
    declaredSize: 19 * MiB,
    crc32: zeros19Crc,
  }));
  return writeZip([invoice, ...entries]);
}

/** One entry whose header declares 19 MiB while its data inflates to about 48 GB. */
function lyingEntryBomb(): Uint8Array {
  return writeZip([
    { name: 'invoice.isdoc', compressed: deflatedZeros(48_000), declaredSize: 19 * MiB, crc32: 0 },
  ]);
}

/** A one-page PDF whose factur-x.xml attachment is a zlib stream of `mib` MiB of zeros (about 1 kB per MiB). */
function attachmentBombPdf(mib: number): Uint8Array {
  const doc = new mupdf.PDFDocument();
  doc.insertPage(-1, doc.addPage([0, 0, 595, 842], 0, {}, ''));
  const zlibHeader = Uint8Array.of(0x78, 0x9c); // the Adler-32 trailer is left out, as truncated writers do
  const data = doc.addRawStream(Buffer.concat([zlibHeader, deflatedZeros(mib)]), {
    Type: 'EmbeddedFile',
    Subtype: 'text/xml',
    Filter: 'FlateDecode',
  });
  const spec = doc.addObject({ Type: 'Filespec', F: 'factur-x.xml', UF: 'factur-x.xml', EF: { F: data } });
  const af = doc.newArray();
  af.push(spec);
  doc.getTrailer().get('Root').put('AF', af);
  return doc.saveToBuffer('').asUint8Array().slice();
}

function measure(name: string, bytes: Uint8Array) {
  expect(bytes.length).toBeLessThanOrEqual(UPLOAD_LIMIT_BYTES);
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/extraction-peak-rss.ts', file],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(child.status, child.stderr).toBe(0);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    outcome: string;
    beforeKb: number;
    peakKb: number;
  };
  const growthMb = (report.peakKb - report.beforeKb) / 1024;
  console.log(
    `${name}: ${(bytes.length / 1024).toFixed(0)} kB upload -> ${report.outcome}; RSS before ${(report.beforeKb / 1024).toFixed(0)} MB, peak ${(report.peakKb / 1024).toFixed(0)} MB, growth ${growthMb.toFixed(1)} MB`,
  );
  return { ...report, growthMb };
}

describe('ISDOCX zip bombs: worker memory', () => {
  it('refuses the 820 kB bomb of 19 MB entries with peak RSS growth under 200 MB (was 1.3 GB)', () => {
    const bomb = manyEntryBomb(42);
    expect(bomb.length).toBeGreaterThan(800_000);
    const r = measure('820kB-42-entries', bomb);
    expect(r.outcome).toBe('archive_limit_exceeded');
    expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
  });

  it('refuses the 2 MB, 100-entry bomb with peak RSS growth under 200 MB (was 2.5 GB)', () => {
    const r = measure('2MB-100-entries', manyEntryBomb(100));
    expect(r.outcome).toBe('archive_limit_exceeded');
    expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
  });

  it('refuses an upload-sized (49 MB, 2,480-entry) bomb with peak RSS growth under 200 MB', () => {
    const r = measure('49MB-2480-entries', manyEntryBomb(2480));
    expect(r.outcome).toBe('archive_limit_exceeded');
    expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
  });

  it('stops an upload-sized (50 MB) entry that lies about inflating to 19 MB, with peak RSS growth under 200 MB', () => {
    const r = measure('50MB-lying-entry', lyingEntryBomb());
    expect(r.outcome).toBe('corrupt_archive');
    expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
  });

  it('does not inflate a PDF whose 0.5 MB XML attachment inflates to 500 MB, with peak RSS growth under 200 MB', () => {
    const r = measure('500kB-pdf-attachment', attachmentBombPdf(500));
    expect(r.outcome).toBe('extracted:pdf-text');
    expect(r.growthMb).toBeLessThan(MAX_GROWTH_MB);
  });
});
