import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';

describe('configuration', () => {
  it('works with no environment at all on a developer machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      http: { port: 3000 },
      database: { url: 'postgresql://doklad_app@127.0.0.1:5432/doklad' },
      redis: { url: 'redis://127.0.0.1:6379' },
      tenants: { regions: ['eu-west'] },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '' }).http.port).toBe(3000);
  });

  it('lists every problem at once, without echoing the offending values', () => {
    const attempt = () =>
      loadConfig({ DATABASE_URL: 'nonsense', PORT: 'eighty', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.split(':')[0])).toEqual(
        expect.arrayContaining(['DATABASE_URL', 'PORT', 'REDIS_URL', 'LOG_LEVEL']),
      );
      expect(message).toMatch(/^Invalid configuration:\n {2}- /);
      expect(message).not.toContain('nonsense');
    }
  });

  it('sends mail over SMTP once SMTP_URL is set, unless MAIL_TRANSPORT says otherwise', () => {
    expect(loadConfig({}).mail.transport).toBe('console');
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1025' }).mail.transport).toBe('smtp');
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1025', MAIL_TRANSPORT: 'memory' }).mail.transport).toBe(
      'memory',
    );
    expect(() => loadConfig({ MAIL_TRANSPORT: 'smtp' })).toThrow(
      /SMTP_URL: is required when MAIL_TRANSPORT=smtp/,
    );
  });

  it('refuses an SMTP_URL that is not one, without echoing it (it may hold a password)', () => {
    expect(() => loadConfig({ SMTP_URL: 'mail.example.com:25 pass=hunter2' })).toThrow(
      /SMTP_URL: must be an SMTP URL/,
    );
    expect(() => loadConfig({ SMTP_URL: 'http://user:hunter2@mail.example.com' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('reads the sub-processors for the record of processing as "name|purpose|location" entries', () => {
    expect(loadConfig({ SUB_PROCESSORS: 'A Ltd|hosting|EU; B GmbH|mail|DE' }).privacy.subProcessors).toEqual([
      { name: 'A Ltd', purpose: 'hosting', location: 'EU' },
      { name: 'B GmbH', purpose: 'mail', location: 'DE' },
    ]);
    expect(loadConfig({}).privacy.subProcessors).toHaveLength(1);
    expect(() => loadConfig({ SUB_PROCESSORS: 'just a name' })).toThrow(
      /SUB_PROCESSORS\.0: each entry must be "name\|purpose\|location"/,
    );
  });

  it('reads the blocked shared labels as field:label pairs, and refuses anything else', () => {
    expect(loadConfig({}).learning.sharedLabelsBlocked).toEqual([]);
    expect(
      loadConfig({ SHARED_LABELS_BLOCKED: 'invoiceNumber:vorgang, dueDate:begleichen bis' }).learning
        .sharedLabelsBlocked,
    ).toEqual(['invoiceNumber:vorgang', 'dueDate:begleichen bis']);
    expect(() => loadConfig({ SHARED_LABELS_BLOCKED: 'vorgang' })).toThrow(
      /SHARED_LABELS_BLOCKED\.0: must be field:label/,
    );
  });

  it('checks settings against each other', () => {
    expect(() => loadConfig({ DEFAULT_TENANT_REGION: 'mars-1' })).toThrow(
      /DEFAULT_TENANT_REGION: must be one of TENANT_REGIONS/,
    );
  });

  it('parses booleans and lists explicitly', () => {
    const config = loadConfig({
      TRUST_PROXY: 'true',
      TENANT_REGIONS: 'eu-west, eu-north',
      DEFAULT_TENANT_REGION: 'eu-north',
    });
    expect(config.http.trustProxy).toBe(true);
    expect(config.tenants.regions).toEqual(['eu-west', 'eu-north']);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY/);
  });

  it('no longer names platform administrators by email: PLATFORM_ADMIN_EMAILS configures nothing', () => {
    const config = loadConfig({ PLATFORM_ADMIN_EMAILS: 'admin@example.test' });
    expect(config).not.toHaveProperty('PLATFORM_ADMIN_EMAILS');
    expect(config.accounts.emailVerificationTtlMs).toBe(24 * 3_600_000);
  });
});
