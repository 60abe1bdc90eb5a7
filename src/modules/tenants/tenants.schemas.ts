/** zod schemas of the tenant routes. */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';

export const TenantView = z.object({
  id: z.uuid(),
  name: z.string(),
  region: z.string(),
  requireMfa: z.boolean(),
  status: z
    .enum(['active', 'suspended', 'offboarding', 'offboarded'])
    .describe('offboarding: the firm is being closed (see GET /v1/tenant/offboarding).'),
  createdAt: IsoDateTime,
});
