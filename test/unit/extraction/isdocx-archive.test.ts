/**
 * Security finding "High 2 — ISDOCX zip bomb" (issue 13): an ISDOCX is read from its central
 * directory within fixed limits, and only the one `.isdoc` entry is inflated, with a hard limit.
 * Every hostile archive is built here with the test ZIP writer.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { deflatedZeros, writeZip, type ZipEntryInput } from '../../helpers/zip-writer.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import { isdocXml } from './fixtures/xml-fixtures.js';

afterAll(disposeExtraction);

const MiB = 1024 * 1024;
const invoice = (): ZipEntryInput => ({ name: 'invoice.isdoc', data: Buffer.from(isdocXml()) });
const manifest = (): ZipEntryInput => ({ name: 'manifest.xml', data: Buffer.from('<manifest/>') });

/** `count` entries of 19 MiB of zeros each (under the 20 MB entry cap), about 20 kB compressed. */
function zeroEntries(count: number, sizeMiB = 19): ZipEntryInput[] {
  const compressed = deflatedZeros(sizeMiB);
  const crc = crc32(new Uint8Array(sizeMiB * MiB));
  return Array.from({ length: count }, (_, i) => ({
    name: `attachments/${i}.isdoc`,
    compressed,
    declaredSize: sizeMiB * MiB,
    crc32: crc,
  }));
}

/** Deflated random bytes that declare `declaredSize`: within the ratio cap, so only a size cap stops them. */
function incompressible(name: string, declaredSize: number): ZipEntryInput {
  return { name, compressed: randomBytes(Math.ceil(declaredSize / 190)), declaredSize, crc32: 0 };
}

async function refusal(bytes: Uint8Array): Promise<ExtractionError> {
  const error = await extractInvoice({ bytes }, { ocr: false, qr: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  return error as ExtractionError;
}

describe('ISDOCX archive limits (zip bombs)', () => {
  it('refuses an ISDOCX with entries of 19 MB zeros before inflating any (the 1 GB-per-MB bomb)', async () => {
    const bomb = writeZip([invoice(), ...zeroEntries(10)]);
    expect(bomb.length).toBeLessThan(250_000);
    const error = await refusal(bomb);
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/200 times its compressed size/);
  });

  it('refuses an archive with more than 64 entries, however small', async () => {
    const many = Array.from({ length: 64 }, (_, i) => ({ name: `s/${i}.txt`, data: Buffer.from('x') }));
    const error = await refusal(writeZip([invoice(), ...many]));
    expect(error).toMatchObject({ code: 'archive_limit_exceeded' });
    expect(error.message).toMatch(/65 entries; at most 64/);
  });

  it('refuses an archive whose declared sizes add up to more than 100 MiB, each within the ratio cap', async () => {
    const parts = Array.from({ length: 6 }, (_, i) => incompressible(`s/${i}.isdoc`, 19 * MiB));
    const error = await refusal(writeZip([invoice(), ...parts]));
    expect(error).toMatchObject({ code: 'archive_limit_exceeded' });
    expect(error.message).toMatch(/in total/);
  });

  it('refuses an archive of small entries that together declare more than 200 times its size', async () => {
    const error = await refusal(writeZip([invoice(), ...zeroEntries(60, 1)]));
    expect(error).toMatchObject({ code: 'archive_limit_exceeded' });
    expect(error.message).toMatch(/times its own size/);
  });

  it('stops inflating an entry at its declared size when the header lies, and refuses it', async () => {
    const lie = { name: 'invoice.isdoc', compressed: deflatedZeros(64), declaredSize: MiB, crc32: 0 };
    const error = await refusal(writeZip([lie]));
    expect(error).toMatchObject({ code: 'corrupt_archive' });
    expect(error.message).toMatch(/beyond its declared size/);
  });

  it('refuses an .isdoc entry declaring more than 20 MB as too large', async () => {
    const error = await refusal(writeZip([incompressible('invoice.isdoc', 21 * MiB)]));
    expect(error).toMatchObject({ code: 'file_too_large' });
  });

  it.each([
    ['ZIP64 (entry count 0xFFFF)', writeZip([invoice()], { entryCount: 0xffff }), 'unsupported_archive'],
    [
      'ZIP64 (sizes 0xFFFFFFFF)',
      writeZip([{ ...invoice(), method: 0, declaredSize: 0xffffffff }]),
      'unsupported_archive',
    ],
    ['a multi-disk archive', writeZip([invoice()], { diskNumber: 1 }), 'unsupported_archive'],
    ['an encrypted entry', writeZip([{ ...invoice(), flags: 0x0801 }]), 'unsupported_archive'],
    ['compression method 12 (bzip2)', writeZip([{ ...invoice(), method: 12 }]), 'unsupported_archive'],
    ['compression method 99 (AES)', writeZip([{ ...invoice(), method: 99 }]), 'unsupported_archive'],
    [
      'a name longer than 1024 bytes',
      writeZip([{ ...invoice(), name: `${'a'.repeat(1100)}.isdoc` }]),
      'archive_limit_exceeded',
    ],
    [
      'a local header naming another entry',
      writeZip([{ ...invoice(), local: { name: 'other.isdoc' } }]),
      'corrupt_archive',
    ],
    [
      'a local header with another method',
      writeZip([{ ...invoice(), local: { method: 0 } }]),
      'corrupt_archive',
    ],
    ['a wrong CRC-32', writeZip([{ ...invoice(), crc32: 0x12345678 }]), 'corrupt_archive'],
    ['one name twice', writeZip([invoice(), invoice()]), 'corrupt_archive'],
    ['a truncated archive', writeZip([invoice(), manifest()]).subarray(0, 600), 'corrupt_archive'],
  ])('refuses %s with a clear code', async (_label, bytes, code) => {
    expect(await refusal(bytes)).toMatchObject({ code });
  });

  it('reads stored, deflated and data-descriptor entries, picking the shallowest .isdoc first', async () => {
    const deeper = { name: 'a/b/other.isdoc', data: Buffer.from(isdocXml({ ...SAMPLE, number: 'DEEP' })) };
    for (const entry of [{ ...invoice(), method: 0 }, invoice(), { ...invoice(), flags: 0x0808 }]) {
      const r = await extractInvoice({ bytes: writeZip([deeper, manifest(), entry]) });
      expect(r.format).toBe('isdocx');
      expect(r.fields.invoiceNumber?.value).toBe(SAMPLE.number);
    }
  });

  const corpusIsdoc = join(process.cwd(), '..', 'shared', 'corpus', 'dev', 'files', 'isx-c608cf78.isdoc');
  it.skipIf(!existsSync(corpusIsdoc))(
    'extracts a real ISDOC packed as ISDOCX exactly as the ISDOC itself (skipped without ../shared/corpus)',
    async () => {
      // The corpus holds no .isdocx file; its real ISDOC, zipped as ISDOCX writers do, stands in.
      const xml = new Uint8Array(readFileSync(corpusIsdoc));
      const direct = await extractInvoice({ bytes: xml });
      const packed = await extractInvoice({
        bytes: writeZip([manifest(), { name: 'faktura.isdoc', data: xml }]),
      });
      expect(packed.format).toBe('isdocx');
      expect(packed.fields).toEqual(direct.fields);
      expect(packed.findings).toEqual(direct.findings);
      expect(Object.keys(packed.fields).length).toBeGreaterThan(5);
    },
  );
});
