/**
 * The firm's privacy controls: its record of processing, training consent, closing the firm
 * (offboarding) and, after the purge, fetching the signed erasure receipt.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Signer } from '../../platform/crypto/signing-key.js';
import { contextOf, userOf } from '../http.js';
import type { TenantsService, TenantView } from '../tenants/tenants.service.js';
import type { DataProcessingService } from './privacy.data-processing.js';
import type { OffboardingService } from './privacy.offboarding.js';
import type { PersonService } from './privacy.person.js';
import * as s from './privacy.schemas.js';

const tags = ['privacy'];

const consentOf = (t: TenantView) => ({ allowed: t.trainingConsent, changedAt: t.trainingConsentChangedAt });

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
          response: { 200: s.PersonalData },
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
          response: { 200: s.DataProcessingRecord },
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
          response: { 200: s.TrainingConsent },
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
          description:
            'Off by default. While allowed, the hourly label gathering reads the words of the labels this ' +
            'firm\u2019s corrections taught its supplier profiles (e.g. "Vorgang" before an invoice number; ' +
            'never a value, a position or a supplier), and a label is shared with every firm\u2019s ' +
            'extractions once at least three consenting firms taught it for the same field. A value read ' +
            'by a shared label is `source: learned` below the review threshold, with an info finding ' +
            '`read_by_shared_label`, so a person confirms it and straight-through processing never ' +
            'validates it. Refusing takes effect at the next gathering, within the hour; each firm whose label is shared ' +
            'finds `supplier_labels.shared` in its audit log. Without consent, learning stays within the firm.',
          body: z.object({ allowed: z.boolean() }).strict(),
          response: { 200: s.TrainingConsent },
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
          response: { 200: s.Offboarding },
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
            202: s.Offboarding.extend({
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
          response: { 200: s.Offboarding },
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
          response: { 200: s.SignedReceipt },
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
