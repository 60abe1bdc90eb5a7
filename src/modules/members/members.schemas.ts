/** zod schemas of the member and invitation routes. */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';

export const Role = z.enum(['owner', 'admin', 'accountant', 'viewer']);
export const Member = z.object({
  userId: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: Role,
  createdAt: IsoDateTime,
});
export const Invitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: Role,
  expiresAt: IsoDateTime,
  acceptedAt: IsoDateTime.nullable(),
  revokedAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
});
export const UserParams = z.object({ userId: z.uuid() });
