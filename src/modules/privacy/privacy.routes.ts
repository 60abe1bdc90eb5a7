/**
 * The firm's privacy controls: its record of processing, training consent, closing the firm
 * (offboarding) and, after the purge, fetching the signed erasure receipt.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Signer } from '../../platform/crypto/signing-key.js';
import { contextOf, userOf } from '../http.js';
import { IsoDateTime } from '../http-schemas.js';
import type { TenantRow, TenantsService } from '../tenants/tenants.service.js';
import type { DataProcessingService } from './privacy.data-processing.js';
import type { OffboardingService } from './privacy.offboarding.js';
import type { PersonService } from './privacy.person.js';

const tags = ['privacy'];

const TrainingConsent = z.object({
  allowed: z
    .boolean()
    .describe('Documents and corrections may be used to improve extraction beyond this firm.'),
  changedAt: IsoDateTime.nullable(),
});
const consentOf = (t: TenantRow) => ({ allowed: t.trainingConsent, changedAt: t.trainingConsentChangedAt });

const DataProcessingRecord = z.object({
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

const Offboarding = z.object({
  status: z.enum(['active', 'suspended', 'offboarding', 'offboarded']),
  requestedAt: IsoDateTime.nullable(),
  purgeAfter: IsoDateTime.nullable().describe(
    'When the purge may run; until then only export and cancel work.',
  ),
});

const SignedReceipt = z.object({
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

const PersonalData = z.object({
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

export function privacyRoutes(deps: {
  tenants: TenantsService;
  offboarding: OffboardingService;
  dataProcessing: DataProcessingService;
  persons: PersonService;
  signer: Signer;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/members/:userId/personal-data',
      {
        config: { permission: 'members:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'exportPersonalData',
          summary: 'Everything the firm holds about one member (GDPR access request); audited',
          params: z.object({ userId: z.uuid() }),
          response: { 200: PersonalData },
        },
      },
      async (request) => deps.persons.exportPersonalData(userOf(request).ctx, request.params.userId),
    );

    app.post(
      '/v1/me/erasure',
      {
        // Irreversible: a fresh sign-in or step-up for everyone.
        config: {
          userOnly: true,
          stepUp: 'always',
          docs: { errors: { 409: 'You are the only owner of a firm (last_owner).' } },
        },
        schema: {
          tags,
          operationId: 'erasePerson',
          summary: 'Erase your personal data: pseudonymised in every firm, signed out everywhere',
          body: z
            .object({ confirmEmail: z.string().min(3).max(254).describe('Your own email address.') })
            .strict(),
          response: { 200: z.object({ firmsLeft: z.number().int(), sessionsRevoked: z.number().int() }) },
        },
      },
      async (request) => deps.persons.erasePerson(userOf(request).ctx, request.body.confirmEmail),
    );

    app.get(
      '/v1/tenant/data-processing',
      {
        // Compliance information for the firm's administrators (and a compliance token).
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'getDataProcessingRecord',
          summary: 'The firm\u2019s record of processing: region, sub-processors, retention, consent',
          response: { 200: DataProcessingRecord },
        },
      },
      async (request) => deps.dataProcessing.getRecord(contextOf(request)),
    );

    app.get(
      '/v1/tenant/training-consent',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'getTrainingConsent',
          summary: 'Whether the firm lets its documents and corrections improve extraction for others',
          response: { 200: TrainingConsent },
        },
      },
      async (request) => consentOf(await deps.tenants.getTenant(userOf(request).ctx)),
    );

    app.put(
      '/v1/tenant/training-consent',
      {
        config: { permission: 'tenant:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'putTrainingConsent',
          summary: 'Allow or refuse the use of the firm\u2019s data to improve extraction beyond it',
          body: z.object({ allowed: z.boolean() }).strict(),
          response: { 200: TrainingConsent },
        },
      },
      async (request) =>
        consentOf(await deps.tenants.setTrainingConsent(userOf(request).ctx, request.body.allowed)),
    );

    app.get(
      '/v1/tenant/offboarding',
      {
        config: { permission: 'tenant:manage', userOnly: true, duringOffboarding: true },
        schema: {
          tags,
          operationId: 'getOffboarding',
          summary: 'Whether the firm is being closed, and when the purge may run',
          response: { 200: Offboarding },
        },
      },
      async (request) => deps.offboarding.getOffboarding(userOf(request).ctx),
    );

    app.post(
      '/v1/tenant/offboarding',
      {
        // Irreversible after the grace period: a fresh sign-in or step-up for everyone.
        config: {
          permission: 'tenant:manage',
          userOnly: true,
          stepUp: 'always',
          docs: { errors: { 409: 'The firm is not active (already closing, or suspended).' } },
        },
        schema: {
          tags,
          operationId: 'requestOffboarding',
          summary: 'Close the firm: a grace period for export or cancel, then everything is erased',
          body: z
            .object({
              confirmName: z
                .string()
                .min(1)
                .max(200)
                .describe('The firm\u2019s exact name, as confirmation.'),
            })
            .strict(),
          response: {
            202: Offboarding.extend({
              receiptToken: z
                .string()
                .describe('Shown once: fetches the signed erasure receipt after the purge.'),
            }),
          },
        },
      },
      async (request, reply) => {
        const result = await deps.offboarding.requestOffboarding(
          userOf(request).ctx,
          request.body.confirmName,
        );
        return reply.status(202).send(result);
      },
    );

    app.delete(
      '/v1/tenant/offboarding',
      {
        config: {
          permission: 'tenant:manage',
          userOnly: true,
          duringOffboarding: true,
          docs: { errors: { 409: 'The firm is not being closed, or the grace period is over.' } },
        },
        schema: {
          tags,
          operationId: 'cancelOffboarding',
          summary: 'Cancel closing the firm (within the grace period)',
          response: { 200: Offboarding },
        },
      },
      async (request) => deps.offboarding.cancelOffboarding(userOf(request).ctx),
    );

    app.post(
      '/v1/erasure-receipts/lookup',
      {
        // No member remains after the purge: the receipt token is the only credential.
        config: { public: true },
        schema: {
          tags,
          operationId: 'lookupErasureReceipt',
          summary: 'Fetch the signed erasure receipt of a closed firm with its receipt token',
          body: z.object({ token: z.string().min(1).max(100) }).strict(),
          response: { 200: SignedReceipt },
        },
      },
      async (request) => deps.offboarding.findReceipt(request.body.token),
    );

    app.get(
      '/v1/erasure-receipts/public-key',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'getErasureReceiptPublicKey',
          summary: 'The Ed25519 public key that verifies erasure receipts (and audit checkpoints)',
          response: { 200: z.object({ keyId: z.string(), publicKeyPem: z.string() }) },
        },
      },
      async () => ({ keyId: deps.signer.keyId, publicKeyPem: deps.signer.publicKeyPem }),
    );
  };
}
