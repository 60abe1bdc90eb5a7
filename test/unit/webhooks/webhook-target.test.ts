import { describe, expect, it } from 'vitest';
import { ValidationFailedError } from '../../../src/core/errors.js';
import { resolveDeliveryTarget } from '../../../src/modules/webhooks/webhook-target.js';

describe('webhook target refusals', () => {
  it.each([
    ['plain http', 'http://hooks.example.com/doklad'],
    ['a loopback address', 'https://127.0.0.1/hook'],
    ['a private address', 'https://10.0.0.5/hook'],
    ['localhost over http', 'http://localhost:8080/hook'],
  ])('refuses %s and names the setting that would allow it', async (_label, url) => {
    const refusal = resolveDeliveryTarget(url, false);
    await expect(refusal).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(refusal).rejects.toThrow(/WEBHOOKS_ALLOW_PRIVATE_TARGETS=true/);
  });

  it('accepts the same private http target when private targets are allowed', async () => {
    const target = await resolveDeliveryTarget('http://127.0.0.1:8080/hook', true);
    expect(target.address).toBe('127.0.0.1');
  });
});
