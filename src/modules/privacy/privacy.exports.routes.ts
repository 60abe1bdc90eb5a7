/** The firm's data export: start it, follow it, get a one-time link, download the archive. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userOf } from '../http.js';
import { IdParams, IsoDateTime } from '../http-schemas.js';
import type { ExportsService } from './privacy.exports.js';
import * as s from './privacy.schemas.js';

const tags = ['privacy'];
// Every export route stays open while the firm is being closed: taking the data out is the point.
const access = { permission: 'tenant:manage', userOnly: true, duringOffboarding: true } as const;

export function exportsRoutes(deps: { exports: ExportsService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/tenant/exports',
      {
        config: { ...access, stepUp: true },
        schema: {
          tags,
          operationId: 'startTenantExport',
          summary: 'Export all of the firm\u2019s data as one archive (built in the background)',
          response: { 202: s.ExportView },
        },
      },
      async (request, reply) => {
        const view = await deps.exports.requestExport(userOf(request).ctx);
        return reply.status(202).header('location', `/v1/tenant/exports/${view.id}`).send(view);
      },
    );

    app.get(
      '/v1/tenant/exports/:id',
      {
        config: access,
        schema: {
          tags,
          operationId: 'getTenantExport',
          summary: 'An export\u2019s status and progress',
          params: IdParams,
          response: { 200: s.ExportView },
        },
      },
      async (request) => deps.exports.getExport(userOf(request).ctx, request.params.id),
    );

    app.post(
      '/v1/tenant/exports/:id/download-link',
      {
        config: {
          ...access,
          stepUp: true,
          docs: { errors: { 409: 'The export is not ready, or was downloaded already.' } },
        },
        schema: {
          tags,
          operationId: 'createTenantExportLink',
          summary: 'A download link for a ready export: valid for minutes, for one download',
          params: IdParams,
          response: { 200: z.object({ url: z.string(), expiresAt: IsoDateTime }) },
        },
      },
      async (request) => deps.exports.createDownloadLink(userOf(request).ctx, request.params.id),
    );

    app.get(
      '/v1/tenant/exports/:id/archive',
      {
        config: {
          ...access,
          docs: {
            errors: { 409: 'The link is invalid, expired or used already (export_link_invalid).' },
            responses: {
              200: {
                description: 'The archive (POSIX tar), decrypted as it streams.',
                content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } },
              },
            },
          },
        },
        schema: {
          tags,
          operationId: 'downloadTenantExport',
          summary: 'Download the archive with the one-time link',
          params: IdParams,
          querystring: z.object({ token: z.string().min(10).max(100) }),
        },
      },
      async (request, reply) => {
        const { stream, sizeBytes } = await deps.exports.openDownload(
          userOf(request).ctx,
          request.params.id,
          request.query.token,
        );
        return reply
          .type('application/x-tar')
          .header('content-length', sizeBytes)
          .header('content-disposition', `attachment; filename="doklad-export-${request.params.id}.tar"`)
          .send(stream);
      },
    );
  };
}
