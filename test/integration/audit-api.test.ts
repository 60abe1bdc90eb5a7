import { describe, expect, it } from 'vitest';
import { systemContext } from '../../src/core/request-context.js';
import { bearer, signup } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();

async function chainStatus(token: string) {
  const res = await env.app.inject({ url: '/v1/audit/chain', headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('GET /v1/audit/chain', () => {
  it("reports the firm's own chain head, its backlog of unchained events and the latest checkpoint", async () => {
    const a = await signup(env.app);
    const b = await signup(env.app);
    const before = await chainStatus(a.token);
    // Nothing chains in this test but the calls below: every event of the sign-up waits.
    expect(before).toMatchObject({ head: null, latestCheckpoint: null });
    expect(before.unchained.count).toBeGreaterThan(0);
    expect(Date.parse(before.unchained.oldestOccurredAt)).not.toBeNaN();

    const { chained } = await env.container.auditChainer.chainPending(a.tenantId);
    await env.container.audit.createCheckpoint(systemContext(a.tenantId));
    const after = await chainStatus(a.token);
    expect(after.head).toMatchObject({ seq: String(chained), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(after.latestCheckpoint).toMatchObject({ seq: String(chained), headHash: after.head.hash });
    expect(after.unchained).toEqual({ count: 0, oldestOccurredAt: null });

    // Firm B's chain is its own: nothing of A's chaining shows there.
    expect(await chainStatus(b.token)).toMatchObject({
      head: null,
      unchained: { count: before.unchained.count },
    });
  });
});
