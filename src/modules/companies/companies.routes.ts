/** The firm's client companies. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http.js';
import { IdParams, listOf } from '../http-schemas.js';
import type { CompaniesService } from './companies.service.js';
import * as s from './companies.schemas.js';

const tags = ['companies'];

export function companiesRoutes(deps: { companies: CompaniesService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/companies',
      {
        config: { permission: 'companies:manage' },
        schema: {
          tags,
          operationId: 'createCompany',
          summary: 'Create a client company',
          body: s.CompanyBody,
          response: { 201: s.Company },
        },
      },
      async (request, reply) => {
        const company = await deps.companies.createCompany(contextOf(request), request.body);
        return reply.status(201).header('location', `/v1/companies/${company.id}`).send(company);
      },
    );
    app.get(
      '/v1/companies',
      {
        config: { permission: 'companies:read' },
        schema: {
          tags,
          operationId: 'listCompanies',
          summary: "List the firm's client companies",
          response: { 200: listOf(s.Company) },
        },
      },
      async (request) => ({
        items: await deps.companies.listCompanies(contextOf(request)),
        nextCursor: null,
      }),
    );
    app.get(
      '/v1/companies/:id',
      {
        config: { permission: 'companies:read' },
        schema: {
          tags,
          operationId: 'getCompany',
          summary: 'Get one client company',
          params: IdParams,
          response: { 200: s.Company },
        },
      },
      async (request) => deps.companies.getCompany(contextOf(request), request.params.id),
    );
    app.patch(
      '/v1/companies/:id',
      {
        config: { permission: 'companies:manage' },
        schema: {
          tags,
          operationId: 'updateCompany',
          summary: 'Change a client company',
          params: IdParams,
          body: s.CompanyBody.partial(),
          response: { 200: s.Company },
        },
      },
      async (request) => deps.companies.updateCompany(contextOf(request), request.params.id, request.body),
    );
    app.delete(
      '/v1/companies/:id',
      {
        config: { permission: 'companies:manage' },
        schema: {
          tags,
          operationId: 'deleteCompany',
          summary: 'Delete a company that has no documents',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.companies.deleteCompany(contextOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
