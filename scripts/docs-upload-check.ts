/**
 * Checks by hand that a document can be uploaded from the interactive docs (/docs), as a new user
 * would try it: headless Chromium opens /docs of a running API, authorizes with a fresh firm's
 * session token, tries POST /v1/documents with a PDF as multipart `file`, expects 201, and saves a
 * screenshot. Not part of CI (it needs a browser):
 *
 *   apt-get install -y chromium        # or point CHROMIUM_PATH at any Chromium
 *   npm run dev                        # in another terminal (or any running API)
 *   DOKLAD_URL=http://127.0.0.1:3000 npx tsx scripts/docs-upload-check.ts
 *
 * Settings: DOKLAD_URL (default http://127.0.0.1:3000), CHROMIUM_PATH (default /usr/bin/chromium),
 * SCREENSHOT (default /tmp/docs-upload.png). It signs up a throw-away firm (SIGNUP_ENABLED must be
 * on, as in development). Exit code 0 only when /docs showed the 201.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Locator } from 'playwright-core';

const base = process.env.DOKLAD_URL ?? 'http://127.0.0.1:3000';
const screenshot = process.env.SCREENSHOT ?? '/tmp/docs-upload.png';

const signup = await fetch(`${base}/v1/auth/signup`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    tenantName: 'Docs check firm',
    email: `docs.check.${randomBytes(4).toString('hex')}@example.test`,
    password: 'violet-harbour-gravel-43-tundra',
    name: 'Docs Check',
  }),
});
if (signup.status !== 201) throw new Error(`sign-up answered ${signup.status}: ${await signup.text()}`);
const { token } = (await signup.json()) as { token: string };

const dir = mkdtempSync(path.join(tmpdir(), 'doklad-docs-check-'));
const pdf = path.join(dir, 'invoice.pdf');
writeFileSync(
  pdf,
  `%PDF-1.7\n% docs check ${randomBytes(8).toString('hex')}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n`,
);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
let status: string | undefined;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1700 } });
  await page.goto(`${base}/docs`);
  // Authorize: the bearer scheme's dialog.
  await page.locator('button.authorize').first().click();
  await page.locator('.auth-container input').first().fill(token);
  await page.locator('.auth-btn-wrapper button.authorize').click();
  await page.locator('.auth-btn-wrapper button.btn-done').click();
  // POST /v1/documents -> Try it out -> multipart/form-data with the file -> Execute.
  const operation = page.locator('#operations-documents-uploadDocument');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('.body-param-content-type select').selectOption('multipart/form-data');
  await operation.locator('input[type=file]').first().setInputFiles(pdf);
  // The optional fields are left as /docs shows them (blank): no clearing, as a new user would.
  await operation.locator('button.execute').click();
  const live = operation.locator('.live-responses-table tbody .response-col_status').first();
  await live.waitFor({ timeout: 30_000 });
  status = (await live.innerText()).trim();
  await operation.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot, fullPage: false, clip: await clipOf(operation) });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The operation's block, so the screenshot shows the request and its answer. */
async function clipOf(locator: Locator) {
  const box = await locator.boundingBox();
  return box ? { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 4000) } : undefined;
}

console.log(`/docs answered ${status} for POST /v1/documents; screenshot: ${screenshot}`);
process.exitCode = status === '201' ? 0 : 1;
