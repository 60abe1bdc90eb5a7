import { describe, expect, it } from 'vitest';
import { deliveryFailureReason } from '../../../src/modules/webhooks/webhooks.delivery.js';

describe('webhook delivery log', () => {
  it("keeps what the receiver did (status, network error) as the delivery's final error", () => {
    expect(deliveryFailureReason('Webhook delivery failed: HTTP 503')).toBe(
      'Webhook delivery failed: HTTP 503',
    );
    expect(deliveryFailureReason('Webhook delivery failed: connect ECONNREFUSED 203.0.113.5:443')).toMatch(
      /ECONNREFUSED/,
    );
    expect(deliveryFailureReason('The webhook endpoint is disabled or deleted.')).toBe(
      'The webhook endpoint is disabled or deleted.',
    );
  });

  it('shows any other error as internal_error, without query context, paths or vault names', () => {
    for (const internal of [
      'Invalid `prisma.webhookDelivery.findFirst()` invocation in /srv/app/src/modules/webhooks/webhooks.repo.ts:41:3',
      'Key vault https://doklad-kv.vault.azure.net/keys/tenant-7f3c could not unwrap the key',
    ])
      expect(deliveryFailureReason(internal)).toBe('internal_error: the delivery could not be attempted');
  });
});
