import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/platform/logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('log redaction', () => {
  it('removes credentials from headers and secrets from nested objects', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer dk_live_secret', cookie: 'sid=abc' } },
        body: { email: 'a@b.cz', password: 'hunter2-hunter2', totpCode: '123456' },
        user: { profile: { token: 'dk_abcdef' } },
        recoveryCode: 'AAAA-BBBB',
      },
      'login attempt',
    );
    const text = lines.join('');
    for (const secret of [
      'dk_live_secret',
      'sid=abc',
      'hunter2-hunter2',
      '123456',
      'dk_abcdef',
      'AAAA-BBBB',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a@b.cz');
    expect(text).toContain('[Redacted]');
  });

  it('drops secret query-string values from logged URLs', () => {
    expect(redactUrl('/v1/invitations/accept?token=abc123&x=1')).toBe(
      '/v1/invitations/accept?token=[Redacted]&x=1',
    );
    expect(redactUrl('/v1/documents?cursor=abc')).toBe('/v1/documents?cursor=abc');
  });
});
