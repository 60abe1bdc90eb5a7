/** zod schemas of the privacy routes (offboarding, records of processing, consent, personal data, exports). */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';

export const TrainingConsent = z.object({
  allowed: z
    .boolean()
    .describe('Documents and corrections may be used to improve extraction beyond this firm.'),
  changedAt: IsoDateTime.nullable(),
});
export const DataProcessingRecord = z.object({
  tenantId: z.uuid(),
  status: z.string(),
  region: z.string().describe('Where the firm\u2019s data is stored and processed.'),
  subProcessors: z.array(z.object({ name: z.string(), purpose: z.string(), location: z.string() })),
  retention: z.object({
    defaultYears: z.number().int(),
    typeYears: z.record(z.string(), z.number().int()),
    trashDays: z.number().int().describe('A deleted document stays restorable this long.'),
    backupDays: z.number().int().describe('Backups (and the wrapped keys in them) are kept this long.'),
    offboardingGraceDays: z.number().int(),
  }),
  encryption: z.object({ documents: z.string(), keyManagement: z.string() }),
  trainingConsent: TrainingConsent,
});
export const Offboarding = z.object({
  status: z.enum(['active', 'suspended', 'offboarding', 'offboarded']),
  requestedAt: IsoDateTime.nullable(),
  purgeAfter: IsoDateTime.nullable().describe(
    'When the purge may run; until then only export and cancel work.',
  ),
});
export const SignedReceipt = z.object({
  receipt: z.object({
    type: z.literal('doklad.erasure_receipt'),
    version: z.literal(1),
    tenantId: z.uuid(),
    region: z.string(),
    offboardingRequestedAt: z.string(),
    purgedAt: z.string(),
    issuedAt: z.string(),
    destroyed: z.object({
      blobs: z.object({ container: z.string(), deleted: z.number().int(), remaining: z.number().int() }),
      keyEncryptionKey: z.object({ keyRef: z.string().nullable(), destroyedAt: z.string() }),
      rows: z.record(z.string(), z.number().int()),
    }),
    kept: z.array(z.string()),
    auditChain: z.object({
      headSeq: z.string().nullable(),
      headHash: z.string().nullable(),
      checkpointSeq: z.string().nullable(),
      checkpointSignedAt: z.string().nullable(),
    }),
  }),
  keyId: z.string(),
  signature: z.string().describe('Base64 Ed25519; verify with `doklad tenant verify-receipt`.'),
});
export const PersonalData = z.object({
  subject: z.object({
    id: z.uuid(),
    name: z.string(),
    email: z.string(),
    emailVerifiedAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
  }),
  membership: z.object({ role: z.string(), createdAt: IsoDateTime }),
  sessions: z.array(
    z.object({
      createdAt: IsoDateTime,
      lastSeenAt: IsoDateTime,
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      revokedAt: IsoDateTime.nullable(),
    }),
  ),
  tokensCreated: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      createdAt: IsoDateTime,
      lastUsedAt: IsoDateTime.nullable(),
      revokedAt: IsoDateTime.nullable(),
    }),
  ),
  invitations: z.array(
    z.object({ id: z.uuid(), role: z.string(), createdAt: IsoDateTime, acceptedAt: IsoDateTime.nullable() }),
  ),
  documentsUploaded: z.number().int(),
  auditEvents: z.array(
    z.object({
      occurredAt: IsoDateTime,
      action: z.string(),
      actorId: z.string(),
      targetType: z.string().nullable(),
      targetId: z.string().nullable(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      requestId: z.string().nullable(),
    }),
  ),
  auditEventsTruncated: z.boolean().describe('More than 1,000 events: the newest 1,000 are listed.'),
});

export const ExportView = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'running', 'ready', 'failed']),
  progress: z.object({ documentsDone: z.number().int(), documentsTotal: z.number().int() }),
  sizeBytes: z.number().int().nullable(),
  sha256: z.string().nullable().describe('SHA-256 of the archive as downloaded.'),
  failureReason: z.string().nullable(),
  createdAt: IsoDateTime,
  finishedAt: IsoDateTime.nullable(),
  downloadedAt: IsoDateTime.nullable(),
});
