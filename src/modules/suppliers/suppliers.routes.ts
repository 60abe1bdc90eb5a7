/** The firm's supplier profiles: what corrections taught, visible, correctable and deletable. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIELD_NAMES } from '../../extraction/model.js';
import { contextOf } from '../http.js';
import { Cursor, IdParams, IsoDateTime, listOf, pageLimit } from '../http-schemas.js';
import type { SuppliersService } from './suppliers.service.js';

const tags = ['suppliers'];
const FieldNameSchema = z.enum(FIELD_NAMES);
const Hint = z.object({
  field: FieldNameSchema,
  page: z.number().int(),
  anchor: z
    .enum(['label-inline', 'label-right', 'label-below', 'page'])
    .describe(
      'How the value is found again: after the label in the same line, right of it on its row, below it, or at a place on the page when no label stands near it',
    ),
  label: z.string().nullable().describe('The label text before the value (lower case, digits as 9)'),
  pattern: z
    .string()
    .describe('The printed shape of the value: letters A, digits 9, other characters as printed'),
  learned: z.number().int().describe('How many corrections taught this hint'),
  description: z.string().describe('The hint in words'),
});
const Supplier = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  vatId: z.string().nullable(),
  companyId: z.string().nullable(),
  iban: z.string().nullable(),
  corrections: z.number().int().describe('Corrections of this supplier’s documents the profile learned from'),
  hints: z.array(Hint),
  constants: z
    .object({
      currency: z.string(),
      'buyer.vatId': z.string(),
      forBuyer: z
        .string()
        .describe('The buyer the buyer VAT ID was entered for: it fills only documents to that buyer'),
    })
    .partial()
    .describe(
      'Values people entered for fields this supplier’s pages do not print; they fill the field (source learned, confidence 0.75, no bbox, info finding filled_from_supplier_profile) when a page prints none',
    ),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
const SupplierSummary = Supplier.omit({ hints: true, constants: true }).extend({
  hintFields: z.array(FieldNameSchema).describe('The fields the profile has a hint for'),
});
const text = (max: number) => z.string().trim().min(1).max(max).nullable().optional();
const SupplierChanges = z
  .object({
    name: text(200),
    vatId: text(40),
    companyId: text(40),
    iban: text(40),
    dropHints: z
      .array(FieldNameSchema)
      .max(FIELD_NAMES.length)
      .optional()
      .describe(
        'Fields whose hint (or unprinted constant) is removed: the general rules read them again on the next document',
      ),
  })
  .strict();

const LEARNING =
  'A correction of a document (PATCH /v1/documents/{id}/extraction) teaches the profile of the document’s supplier (found by VAT ID, company id, IBAN, else name): its master data, and for every corrected field a hint saying where the value is printed on that supplier’s layout (page, the label before it, its place relative to the label or the page corner, the value’s shape). On the supplier’s next document the engine tries the hints before its general rules and marks what it reads so `source: learned`; where the document does not fit a hint (label absent, another shape) the general rules decide. Profiles stay within the firm; a token restricted to some companies sees none.';

export function suppliersRoutes(deps: { suppliers: SuppliersService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/suppliers',
      {
        config: { permission: 'extractions:read' },
        schema: {
          tags,
          operationId: 'listSuppliers',
          summary: 'List what corrections taught about the firm’s suppliers',
          description: LEARNING,
          querystring: z.object({
            limit: pageLimit(),
            cursor: Cursor,
          }),
          response: { 200: listOf(SupplierSummary) },
        },
      },
      async (request) => {
        const page = await deps.suppliers.list(contextOf(request), request.query.limit, request.query.cursor);
        return {
          items: page.items.map(({ hints, constants: _constants, ...rest }) => ({
            ...rest,
            hintFields: hints.map((h) => h.field),
          })),
          nextCursor: page.nextCursor,
        };
      },
    );
    app.get(
      '/v1/suppliers/:id',
      {
        config: { permission: 'extractions:read' },
        schema: {
          tags,
          operationId: 'getSupplier',
          summary: 'What corrections taught about one supplier: master data and field hints',
          description: LEARNING,
          params: IdParams,
          response: { 200: Supplier },
        },
      },
      async (request) => deps.suppliers.get(contextOf(request), request.params.id),
    );
    app.patch(
      '/v1/suppliers/:id',
      {
        config: { permission: 'extractions:write' },
        schema: {
          tags,
          operationId: 'updateSupplier',
          summary: 'Correct a supplier’s master data or drop learned hints',
          description:
            'Values are normalised like corrections of the same field (VAT ID and IBAN upper case without spaces; an IBAN must pass its checksum); null removes one. The profile keeps at least one of name, VAT ID, company id or IBAN.',
          params: IdParams,
          body: SupplierChanges,
          response: { 200: Supplier },
        },
      },
      async (request) => deps.suppliers.update(contextOf(request), request.params.id, request.body),
    );
    app.delete(
      '/v1/suppliers/:id',
      {
        config: { permission: 'extractions:write' },
        schema: {
          tags,
          operationId: 'deleteSupplier',
          summary: 'Forget what corrections taught about a supplier',
          description:
            'The supplier’s next document is read by the general rules alone. A later correction of one of its documents starts a new profile.',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.suppliers.remove(contextOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
