/**
 * OpenAPI 3.1 generated from the routes' zod schemas, served as JSON at /docs/json and as an
 * interactive UI at /docs. The UI's assets come from the installed package, never a CDN.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { completeDocument, transformRoute } from './openapi-operations.js';

/** The UI needs its own scripts and styles; everything else stays same-origin. */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; " +
  "style-src 'self' 'unsafe-inline'; connect-src 'self'; form-action 'self'";

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Doklad API',
        version,
        description:
          'Multi-tenant API for encrypted accounting documents, invoice extraction and ERP hand-off. ' +
          'Errors are RFC 9457 application/problem+json (the Problem schema). Each operation names the permission it ' +
          'needs (also as x-required-permission).',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      // Relative: the API that serves this document (so /docs tries requests against itself).
      servers: [{ url: '/', description: 'This API' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'A session token from /v1/auth/login, or an integration token (dk_...).',
          },
        },
      },
      tags: [
        { name: 'auth', description: 'Sign-up, sign-in, two-factor, step-up, password reset' },
        { name: 'me', description: 'Your own account, sessions and two-factor authentication' },
        { name: 'tenant', description: 'Your firm' },
        { name: 'members', description: 'People of the firm, roles and invitations' },
        { name: 'tokens', description: 'Integration tokens for ERP agents' },
        { name: 'companies', description: "The firm's client companies" },
        {
          name: 'documents',
          description: 'Encrypted documents: upload, download, trash, retention, legal holds',
        },
        {
          name: 'extractions',
          description: 'Extraction results, corrections, validation, review queue, ERP hand-off',
        },
        { name: 'webhooks', description: 'Signed event deliveries to ERP agents' },
        { name: 'admin', description: 'Platform administration (the queue console at /admin/queues)' },
        { name: 'audit', description: "The firm's tamper-evident audit trail" },
        {
          name: 'privacy',
          description: 'Record of processing, training consent, closing the firm and its erasure receipt',
        },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
    // Each operation is completed from its route's declaration (errors, access, media types).
    transform: transformRoute,
    transformObject: (documentObject) =>
      'openapiObject' in documentObject
        ? (completeDocument(
            documentObject.openapiObject as Record<string, unknown>,
          ) as typeof documentObject.openapiObject)
        : documentObject.swaggerObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    uiConfig: { deepLinking: true, validatorUrl: null },
  });
}
