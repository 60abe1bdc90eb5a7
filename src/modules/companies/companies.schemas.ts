/** zod schemas of the company routes. */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';

export const Company = z.object({
  id: z.uuid(),
  name: z.string(),
  vatId: z.string().nullable(),
  registrationId: z.string().nullable(),
  country: z.string(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export const CompanyBody = z.object({
  name: z.string().trim().min(1).max(200),
  vatId: z
    .string()
    .transform((v) => v.toUpperCase().replace(/[\s.-]/g, ''))
    .pipe(
      z
        .string()
        .regex(/^[A-Z]{2}[A-Z0-9+*]{2,13}$/, 'must be a VAT ID with its country prefix, e.g. CZ12345678'),
    )
    .nullable()
    .optional(),
  registrationId: z.string().trim().min(1).max(40).nullable().optional().describe('e.g. the Czech IČO'),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .transform((c) => c.toUpperCase()),
});
