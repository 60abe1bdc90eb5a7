/** zod schemas of the integration token routes. */
import { z } from 'zod';
import { PERMISSIONS } from '../../core/permissions.js';
import { IsoDateTime } from '../http-schemas.js';

export const Scope = z.enum(PERMISSIONS);
export const TokenView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
  scopes: z.array(z.string()),
  allowedIps: z.array(z.string()),
  companyIds: z.array(z.uuid()),
  expiresAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
  lastUsedAt: IsoDateTime.nullable(),
  lastUsedIp: z.string().nullable(),
  revokedAt: IsoDateTime.nullable(),
});
export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(Scope).min(1),
  expiresAt: IsoDateTime.optional(),
  allowedIps: z
    .array(z.string().max(64))
    .max(50)
    .optional()
    .describe('IP addresses or CIDR ranges; empty = any'),
  companyIds: z
    .array(z.uuid())
    .max(1000)
    .optional()
    .describe('Limit the token to these companies; empty = all'),
});
export const CreatedToken = z.object({
  id: z.uuid(),
  name: z.string(),
  token: z.string().describe('The secret, shown only in this response'),
  prefix: z.string(),
  scopes: z.array(z.string()),
  companyIds: z.array(z.uuid()),
  expiresAt: IsoDateTime.nullable(),
});
