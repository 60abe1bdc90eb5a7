/**
 * The CI audit step's verdict (scripts/audit-verdict.mjs, used by .ci/supply-chain): a high or
 * critical advisory in a production dependency fails, lower ones pass, and an answer that is not
 * an audit report is "NOT CHECKED", never a pass.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/platform/package-root.js';

const script = path.join(packageRoot(), 'scripts', 'audit-verdict.mjs');

function verdict(input: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [script], { input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout };
}

/** The shape `npm audit --json` prints (npm 7 and later). */
function report(counts: Record<string, number>, vulnerabilities: Record<string, unknown> = {}): string {
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: {
      vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts },
      dependencies: { prod: 220, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 220 },
    },
  });
}

describe('npm audit verdict', () => {
  it('passes a report without advisories', () => {
    const result = verdict(report({}));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('critical 0, high 0, moderate 0, low 0, info 0');
  });

  it('passes moderate and low advisories (the step gates on high)', () => {
    expect(verdict(report({ moderate: 2, low: 1 })).status).toBe(0);
  });

  it('fails on a high advisory and names the package', () => {
    const result = verdict(
      report(
        { high: 1 },
        { 'fast-xml-parser': { name: 'fast-xml-parser', severity: 'high', range: '<5.0.0' } },
      ),
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('high: fast-xml-parser <5.0.0');
  });

  it('fails on a critical advisory', () => {
    expect(verdict(report({ critical: 1 })).status).toBe(1);
  });

  it('calls an endpoint error NOT CHECKED, with the reason, and never a pass', () => {
    const result = verdict(
      JSON.stringify({
        message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
        statusCode: 405,
        error: { summary: '', detail: '' },
      }),
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('NOT CHECKED');
    expect(result.stdout).toContain('405 Method Not Allowed');
  });

  it('calls empty or non-JSON output NOT CHECKED', () => {
    expect(verdict('').status).toBe(2);
    expect(verdict('npm error network ECONNREFUSED').stdout).toContain('ECONNREFUSED');
  });
});
