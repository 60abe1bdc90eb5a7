/**
 * Completes each OpenAPI operation from what its route already declares, so the contract cannot
 * drift from the code: the error statuses (validation, authentication, permission, not found,
 * rate limit, service busy) all as the shared RFC 9457 `Problem`, who may call it, optional bodies,
 * real response descriptions, Location and Retry-After headers. A route adds only what cannot be
 * derived (an upload's body, a download's media types, a 409) in `config.docs`.
 */
import type { FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

type Json = Record<string, unknown>;

/** What a route adds to its operation beyond its zod schemas and access declaration. */
export interface OperationDocs {
  /** Error statuses it may answer beyond the derived ones, each with when. */
  readonly errors?: Readonly<Record<number, string>>;
  /** OpenAPI response objects merged into the derived ones (media types, headers, 206/304). */
  readonly responses?: Readonly<Record<number, Json>>;
  /** A body Fastify does not parse as JSON (uploads), as an OpenAPI request body object. */
  readonly requestBody?: Json;
  /** OpenAPI parameter objects its handler reads without a schema (Range, If-None-Match). */
  readonly parameters?: readonly Json[];
  /** False for the liveness probe, which answers without the database. */
  readonly touchesDatabase?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    docs?: OperationDocs;
  }
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
/** Carries the derived plan from `transform` (per route) to `transformObject` (the document). */
const PLAN = 'x-doklad-plan';

export const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'An RFC 9457 problem: every error of this API has this shape.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string', format: 'uri', examples: ['urn:doklad:problem:not_found'] },
    title: { type: 'string', examples: ['Not Found'] },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong, for a person; may quote your input.' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. validation_failed.' },
    instance: { type: 'string', description: 'The request id (also the x-request-id header).' },
    errors: {
      type: 'array',
      description: 'Validation failures, one per field.',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', examples: ['body.email'] },
          message: { type: 'string' },
        },
      },
    },
    retryAfterSeconds: {
      type: 'number',
      description: 'When to try again (also in the Retry-After header).',
    },
  },
};

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
};

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'Success.',
  '201': 'Created; Location names the new resource.',
  '202': 'Accepted; the work continues in the background.',
  '204': 'Done; no content.',
  '206': 'Partial content.',
  '304': 'Not modified.',
};

interface OperationPlan {
  readonly errors: Record<string, string>;
  readonly bodyOptional: boolean;
  readonly access?: string;
  readonly docs?: OperationDocs;
}

/** 401/403 and the sentence naming who may call it, from the route's access declaration. */
function accessOf(config: RouteOptions['config'], errors: Record<string, string>): string | undefined {
  if (config?.public === true) return undefined;
  errors['401'] = 'No valid credential: missing, expired or revoked token (code unauthorized).';
  const parts: string[] = [];
  const forbidden: string[] = [];
  if (config?.permission) {
    parts.push(`needs the permission \`${config.permission}\``);
    forbidden.push('the caller lacks the permission (forbidden, or mfa_enrolment_required)');
  }
  if (config?.userOnly) {
    parts.push('people only (a signed-in session, not an integration token)');
    forbidden.push('an integration token called it (forbidden)');
  }
  if (config?.stepUp) {
    parts.push(
      config.stepUp === 'always'
        ? 'needs a recent sign-in or step-up (POST /v1/auth/step-up), for everyone'
        : 'needs a recent step-up (POST /v1/auth/step-up) for people with two-factor',
    );
    forbidden.push('no recent step-up (step_up_required)');
  }
  forbidden.push('the firm is suspended (tenant_suspended)');
  if (config?.duringOffboarding) parts.push('still open while the firm is being closed');
  else forbidden.push('the firm is being closed (tenant_offboarding)');
  errors['403'] = forbidden.length > 0 ? `Refused: ${forbidden.join('; ')}.` : 'Refused (forbidden).';
  return `Access: ${parts.join('; ')}.`;
}

function planOf(route: RouteOptions, source: FastifySchema | undefined): OperationPlan {
  const config = route.config;
  const docs = config?.docs;
  const errors: Record<string, string> = {};
  if (source?.params || source?.querystring || source?.body || docs?.requestBody) {
    errors['400'] = 'The request is invalid; `errors` names each failing field (code validation_failed).';
  }
  const access = accessOf(config, errors);
  if (route.url.includes(':')) {
    errors['404'] =
      'No such resource, or it belongs to another firm, which to you is the same (code not_found).';
    errors['414'] = 'A path parameter is longer than the API accepts (code uri_too_long).';
  }
  if (source?.body) {
    errors['413'] = 'The body is larger than the API accepts (code payload_too_large).';
    errors['415'] = 'The body is not application/json (code unsupported_media_type).';
  }
  for (const [status, description] of Object.entries(docs?.errors ?? {})) errors[status] = description;
  if (config?.rateLimit !== false) {
    errors['429'] = 'Too many requests (code too_many_requests); Retry-After says when to come back.';
  }
  const declared = (source?.response ?? {}) as Record<string, unknown>;
  if (docs?.touchesDatabase !== false && !declared['503']) {
    errors['503'] =
      'The service is busy or a dependency is down (code service_unavailable); retry after Retry-After.';
  }
  const body = source?.body as { safeParse?: (v: unknown) => { success: boolean } } | undefined;
  return {
    errors,
    bodyOptional: body?.safeParse?.(undefined).success === true,
    ...(access ? { access } : {}),
    ...(docs ? { docs } : {}),
  };
}

/** Per route: the zod schemas become JSON Schema, and the plan travels along to `completeDocument`. */
export const transformRoute: typeof jsonSchemaTransform = (input) => {
  const result = jsonSchemaTransform(input);
  const route = input.route as unknown as RouteOptions;
  if (input.url.startsWith('/docs') || (result.schema as Json | undefined)?.hide) return result;
  const plan = planOf(route, input.schema as FastifySchema | undefined);
  return { ...result, schema: { ...result.schema, [PLAN]: plan } };
};

function mergeResponse(existing: Json | undefined, extra: Json): Json {
  const merged: Json = { ...existing, ...extra };
  if (existing?.content || extra.content)
    merged.content = { ...(existing?.content as Json), ...(extra.content as Json) };
  if (existing?.headers || extra.headers)
    merged.headers = { ...(existing?.headers as Json), ...(extra.headers as Json) };
  return merged;
}

function completeResponses(responses: Record<string, Json>, plan: OperationPlan): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [status, response] of Object.entries(responses)) {
    // A 200 with no declared schema is @fastify/swagger's placeholder; the docs say what it really is.
    const placeholder = response.description === 'Default Response' && !response.content;
    if (placeholder && plan.docs?.responses?.[Number(status)]) continue;
    out[status] =
      response.description === 'Default Response'
        ? { ...response, description: SUCCESS_DESCRIPTIONS[status] ?? 'See the operation description.' }
        : response;
  }
  for (const [status, extra] of Object.entries(plan.docs?.responses ?? {})) {
    out[status] = mergeResponse(out[status], { description: SUCCESS_DESCRIPTIONS[status] ?? '', ...extra });
  }
  if (out['201']) {
    out['201'] = mergeResponse(out['201'], {
      headers: { Location: { description: 'The URL of the new resource.', schema: { type: 'string' } } },
    });
  }
  for (const [status, description] of Object.entries(plan.errors)) {
    out[status] = {
      description,
      content: { [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_REF } },
      ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}),
    };
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function completeOperation(operation: Json): void {
  const plan = operation[PLAN] as OperationPlan | undefined;
  delete operation[PLAN];
  if (!plan) return;
  operation.responses = completeResponses((operation.responses ?? {}) as Record<string, Json>, plan);
  if (plan.docs?.requestBody) operation.requestBody = plan.docs.requestBody;
  else if (plan.bodyOptional && operation.requestBody) {
    operation.requestBody = { ...(operation.requestBody as Json), required: false };
  }
  if (plan.docs?.parameters) {
    operation.parameters = [...((operation.parameters as Json[] | undefined) ?? []), ...plan.docs.parameters];
  }
  if (plan.access) {
    operation.description = [operation.description, plan.access].filter(Boolean).join('\n\n');
  }
}

/** The whole document: the Problem component, and each operation completed from its plan. */
export function completeDocument(document: Json): Json {
  const components = (document.components ?? {}) as Json;
  document.components = {
    ...components,
    schemas: { ...(components.schemas as Json | undefined), Problem: PROBLEM_SCHEMA },
  };
  for (const path of Object.values((document.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const operation of Object.values(path)) completeOperation(operation);
  }
  return document;
}
