/**
 * The lint enforces DESIGN.md's "Dependency direction": for every arrow it forbids, a probe placed in
 * the repo tree (linted from memory with `lintText`, so no file is written) must fail with that
 * rule's message, and legal imports must pass. If a rule in eslint.config.js is weakened, renamed or
 * loses its files, a case here fails.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const ZONE = 'import-x/no-restricted-paths';
const IMPORTS = 'no-restricted-imports';

interface Probe {
  /** Where the probe pretends to live, relative to the repo root. */
  readonly file: string;
  readonly code: string;
}

interface ForbiddenProbe extends Probe {
  readonly arrow: string;
  readonly rule: string;
  /** A part of the message the rule must report. */
  readonly message: string;
}

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function lintProbe(probe: Probe): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(probe.code, { filePath: path.join(root, probe.file) });
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

const forbidden: ForbiddenProbe[] = [
  // core and extraction import nothing from src/; platform only core.
  {
    arrow: 'core -> platform',
    file: 'src/core/__lint_probe__.ts',
    code: "import '../platform/logger.js';",
    rule: ZONE,
    message: 'core imports nothing from src/.',
  },
  {
    arrow: 'core -> a package (zod)',
    file: 'src/core/__lint_probe__.ts',
    code: "import 'zod';",
    rule: IMPORTS,
    message: 'core imports no packages',
  },
  {
    arrow: 'core -> a node: builtin',
    file: 'src/core/__lint_probe__.ts',
    code: "import 'node:crypto';",
    rule: IMPORTS,
    message: 'core imports no packages',
  },
  {
    arrow: 'extraction -> platform',
    file: 'src/extraction/__lint_probe__.ts',
    code: "import '../platform/logger.js';",
    rule: ZONE,
    message: 'extraction/ is a pure library.',
  },
  {
    arrow: 'extraction -> modules',
    file: 'src/extraction/text/__lint_probe__.ts',
    code: "import '../../modules/documents/documents.service.js';",
    rule: ZONE,
    message: 'extraction/ is a pure library.',
  },
  ...['fastify', 'bullmq', 'ioredis', 'pg', '@prisma/client', '@azure/storage-blob', 'pino'].map(
    (pkg): ForbiddenProbe => ({
      arrow: `extraction -> ${pkg}`,
      file: 'src/extraction/pdf/__lint_probe__.ts',
      code: `import '${pkg}';`,
      rule: IMPORTS,
      message: 'extraction/ is pure',
    }),
  ),
  {
    arrow: 'platform -> a module',
    file: 'src/platform/__lint_probe__.ts',
    code: "import '../modules/audit/audit.service.js';",
    rule: ZONE,
    message: 'platform imports only core.',
  },
  {
    arrow: 'platform -> app',
    file: 'src/platform/db/__lint_probe__.ts',
    code: "import '../../app/error-handler.js';",
    rule: ZONE,
    message: 'platform imports only core.',
  },
  // Services use other modules' services, never their repos (jobs and use cases alike).
  {
    arrow: "a service -> another module's repo",
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: "import '../extractions/extractions.repo.js';",
    rule: ZONE,
    message: 'documents/ reaches another module through its service, never its repo.',
  },
  {
    arrow: "a service -> another module's repo (type only)",
    file: 'src/modules/privacy/privacy.__lint_probe__.ts',
    code: "import type { TenantRow } from '../tenants/tenants.repo.js';\nexport type Probe = TenantRow;",
    rule: ZONE,
    message: 'privacy/ reaches another module through its service, never its repo.',
  },
  {
    arrow: "a service -> the documents module's second repo (documents.processing.repo.ts)",
    file: 'src/modules/extractions/extractions.__lint_probe__.ts',
    code: "import '../documents/documents.processing.repo.js';",
    rule: ZONE,
    message: 'extractions/ reaches another module through its service, never its repo.',
  },
  {
    arrow: "a jobs file -> another module's repo",
    file: 'src/modules/documents/documents.jobs.ts',
    code: "import '../webhooks/webhooks.repo.js';",
    rule: ZONE,
    message: 'documents/ reaches another module through its service, never its repo.',
  },
  // Routes use their service and schemas: no repo, no platform/db, no Prisma.
  {
    arrow: 'a route -> its own repo',
    file: 'src/modules/documents/__lint_probe__.routes.ts',
    code: "import './documents.repo.js';",
    rule: ZONE,
    message: 'routes call their service; they never import a repo.',
  },
  {
    arrow: 'a route -> platform/db',
    file: 'src/modules/documents/__lint_probe__.routes.ts',
    code: "import '../../platform/db/db.js';",
    rule: ZONE,
    message: 'routes never touch Prisma or the database.',
  },
  {
    arrow: 'a route -> generated Prisma client',
    file: 'src/modules/tokens/__lint_probe__.routes.ts',
    code: "import '../../generated/prisma/client.js';",
    rule: ZONE,
    message: 'routes never touch Prisma or the database.',
  },
  {
    arrow: 'a route -> @prisma/client',
    file: 'src/modules/tokens/__lint_probe__.routes.ts',
    code: "import '@prisma/client';",
    rule: IMPORTS,
    message: 'routes never touch Prisma or the database.',
  },
  // A repo runs queries: it never calls up into a service, use case, routes or jobs.
  {
    arrow: 'a repo -> its service',
    file: 'src/modules/documents/__lint_probe__.repo.ts',
    code: "import './documents.service.js';",
    rule: ZONE,
    message: 'a repo runs queries; it never imports a service, routes or jobs.',
  },
  {
    arrow: 'a repo -> a use case named <m>.<role>.ts',
    file: 'src/modules/extractions/__lint_probe__.repo.ts',
    code: "import './extractions.pipeline.js';",
    rule: ZONE,
    message: 'a repo runs queries; it never imports a service, routes or jobs.',
  },
  {
    arrow: 'a repo -> jobs',
    file: 'src/modules/documents/__lint_probe__.repo.ts',
    code: "import './documents.jobs.js';",
    rule: ZONE,
    message: 'a repo runs queries; it never imports a service, routes or jobs.',
  },
  // Job processors call services; so do CLI commands.
  {
    arrow: 'a jobs file -> its own repo',
    file: 'src/modules/documents/documents.jobs.ts',
    code: "import './documents.repo.js';",
    rule: ZONE,
    message: 'job processors call services; they never import a repo.',
  },
  {
    arrow: 'workers -> a repo',
    file: 'src/workers/__lint_probe__.ts',
    code: "import '../modules/extractions/extractions.repo.js';",
    rule: ZONE,
    message: 'job processors call services; they never import a repo.',
  },
  {
    arrow: 'the CLI -> a repo',
    file: 'src/cli/__lint_probe__.ts',
    code: "import '../modules/tenants/tenants.repo.js';",
    rule: ZONE,
    message: 'CLI commands call services (which audit); they never import a repo.',
  },
  {
    arrow: 'the CLI -> app',
    file: 'src/cli/__lint_probe__.ts',
    code: "import '../app/build-app.js';",
    rule: ZONE,
    message: 'CLI commands never import the HTTP layer.',
  },
  // app composes routes; modules never see app; workers never see app.
  {
    arrow: 'app -> a repo',
    file: 'src/app/__lint_probe__.ts',
    code: "import '../modules/documents/documents.repo.js';",
    rule: ZONE,
    message: 'app composes routes; it never imports a repo.',
  },
  {
    arrow: 'a module -> app',
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: "import '../../app/error-handler.js';",
    rule: ZONE,
    message: 'services and repos never see the HTTP layer.',
  },
  {
    arrow: 'workers -> app',
    file: 'src/workers/__lint_probe__.ts',
    code: "import '../app/build-app.js';",
    rule: ZONE,
    message: 'workers never import the HTTP layer.',
  },
  // Services never see Fastify objects: only routes import Fastify (or the routes' helpers).
  ...[
    ['a service', 'src/modules/documents/documents.__lint_probe__.ts'],
    ['a repo', 'src/modules/documents/__lint_probe__.repo.ts'],
    ['a jobs file', 'src/modules/webhooks/webhooks.jobs.ts'],
    ['a helper', 'src/modules/documents/__lint_probe__.ts'],
  ].flatMap(([who, file]): ForbiddenProbe[] =>
    ['fastify', '@fastify/multipart', 'fastify-type-provider-zod'].map((pkg) => ({
      arrow: `${who} -> ${pkg}`,
      file: file!,
      code: `import '${pkg}';`,
      rule: IMPORTS,
      message: 'only routes see Fastify',
    })),
  ),
  {
    arrow: 'a service -> Fastify types',
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: "import type { FastifyRequest } from 'fastify';\nexport type Probe = FastifyRequest;",
    rule: IMPORTS,
    message: 'only routes see Fastify',
  },
  {
    arrow: "a service -> the routes' Fastify helpers (modules/http.ts)",
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: "import '../http.js';",
    rule: ZONE,
    message: 'only routes see Fastify requests.',
  },
  // Nothing in src/ imports tests, benchmarks or scripts.
  ...[
    ['test', 'src/modules/documents/__lint_probe__.ts', "import '../../../test/helpers/services.js';"],
    ['bench', 'src/platform/__lint_probe__.ts', "import '../../bench/pipeline.js';"],
    ['scripts', 'src/__lint_probe__.ts', "import '../scripts/api-types.js';"],
  ].map(([folder, file, code]): ForbiddenProbe => ({
    arrow: `src -> ${folder}/`,
    file: file!,
    code: code!,
    rule: ZONE,
    message: 'production code never imports tests, benchmarks or scripts.',
  })),
  // process.env only in platform/config.ts, entry points included.
  ...[
    ['a service', 'src/modules/documents/documents.__lint_probe__.ts'],
    ['an entry point', 'src/main-api.ts'],
    ['the preload module', 'src/instrumentation.ts'],
    ['platform', 'src/platform/logger.ts'],
    ['extraction', 'src/extraction/__lint_probe__.ts'],
  ].flatMap(([who, file]): ForbiddenProbe[] => [
    {
      arrow: `${who} reads process.env`,
      file: file!,
      code: 'export const probe = process.env.PORT;',
      rule: 'no-restricted-properties',
      message: 'read settings from platform/config.ts.',
    },
    {
      arrow: `${who} destructures process.env`,
      file: file!,
      code: 'const { env } = process;\nexport const probe = env;',
      rule: 'no-restricted-properties',
      message: 'read settings from platform/config.ts.',
    },
  ]),
  {
    arrow: 'env imported from node:process',
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: "import { env } from 'node:process';\nexport const probe = env;",
    rule: 'no-restricted-syntax',
    message: 'read settings from platform/config.ts.',
  },
  {
    arrow: 'globalThis.process.env',
    file: 'src/workers/__lint_probe__.ts',
    code: 'export const probe = globalThis.process.env;',
    rule: 'no-restricted-syntax',
    message: 'read settings from platform/config.ts.',
  },
  // One owner of the documents table (CONVENTIONS 16): only the repos of modules/documents query it.
  ...[
    [
      'a service, Prisma findMany',
      'src/modules/extractions/extractions.__lint_probe__.ts',
      'tx.document.findMany({ where: {} })',
    ],
    [
      'a repo, Prisma updateMany',
      'src/modules/extractions/__lint_probe__.repo.ts',
      'tx.document.updateMany({ where: {}, data: {} })',
    ],
    [
      'a repo, Prisma count',
      'src/modules/privacy/__lint_probe__.repo.ts',
      'tx.document.count({ where: {} })',
    ],
    [
      'a repo, the document_keys delegate',
      'src/modules/privacy/__lint_probe__.repo.ts',
      'tx.documentKey.findFirst({ where: {} })',
    ],
    [
      'a repo, $queryRaw FROM documents',
      'src/modules/extractions/__lint_probe__.repo.ts',
      'tx.$queryRaw`SELECT id FROM documents WHERE tenant_id = ${t}::uuid FOR UPDATE`',
    ],
    [
      'a repo, SQL string JOIN documents',
      'src/modules/suppliers/__lint_probe__.repo.ts',
      "sql.query('SELECT d.id FROM extractions x JOIN documents d ON d.id = x.document_id')",
    ],
    [
      'a repo, multi-line lower-case SQL',
      'src/modules/extractions/__lint_probe__.repo.ts',
      'tx.$queryRaw`select d.id\n       from\n  documents d`',
    ],
    [
      'a repo, UPDATE documents',
      'src/modules/webhooks/__lint_probe__.repo.ts',
      "sql.query('UPDATE documents SET status = $1')",
    ],
    [
      'a repo, INSERT INTO document_keys',
      'src/modules/privacy/__lint_probe__.repo.ts',
      "sql.query('INSERT INTO document_keys (document_id) VALUES ($1)')",
    ],
    [
      'platform, raw SQL',
      'src/platform/db/__lint_probe__.ts',
      'tx.$executeRaw`DELETE FROM documents WHERE id = ${t}`',
    ],
    ['workers, Prisma findFirst', 'src/workers/__lint_probe__.ts', 'tx.document.findFirst({ where: {} })'],
    [
      'a documents service, not its repo',
      'src/modules/documents/documents.__lint_probe__.ts',
      'tx.document.findMany({ where: {} })',
    ],
  ].map(([who, file, query]): ForbiddenProbe => ({
    arrow: `the documents table queried outside modules/documents: ${who}`,
    file: file!,
    code: `declare const tx: unknown, sql: unknown, t: string;\nexport const probe = () => ${query};`,
    rule: 'no-restricted-syntax',
    message: 'only the repos of modules/documents query the documents table',
  })),
];

/** Imports DESIGN allows: each must lint without any message at all. */
const allowed: (Probe & { readonly what: string })[] = [
  {
    what: "a service uses its repo, another module's service, platform, extraction and core",
    file: 'src/modules/documents/documents.__lint_probe__.ts',
    code: [
      "import './documents.repo.js';",
      "import '../audit/audit.service.js';",
      "import '../extractions/extractions.pipeline.js';",
      "import '../../platform/db/db.js';",
      "import '../../extraction/model.js';",
      "import '../../core/errors.js';",
      "import 'zod';",
    ].join('\n'),
  },
  {
    what: 'a route uses its service, its schemas, the routes’ helpers, Fastify and zod',
    file: 'src/modules/documents/__lint_probe__.routes.ts',
    code: [
      "import './documents.service.js';",
      "import './documents.schemas.js';",
      "import '../http.js';",
      "import '../http-schemas.js';",
      "import 'fastify';",
      "import 'fastify-type-provider-zod';",
      "import 'zod';",
    ].join('\n'),
  },
  {
    what: 'a repo uses platform/db, core and its module’s schemas',
    file: 'src/modules/documents/__lint_probe__.repo.ts',
    code: [
      "import '../../platform/db/db.js';",
      "import '../../core/errors.js';",
      "import './documents.schemas.js';",
    ].join('\n'),
  },
  {
    what: 'a repo checks its writes against its module’s status table',
    file: 'src/modules/tenants/__lint_probe__.repo.ts',
    code: "import './tenants.status.js';",
  },
  {
    what: 'the documents module’s repos query its table (Prisma and SQL)',
    file: 'src/modules/documents/__lint_probe__.repo.ts',
    code: [
      'declare const tx: unknown, sql: unknown;',
      'export const a = () => tx.document.findMany({ where: {} });',
      'export const b = () => tx.documentKey.findFirst({ where: {} });',
      'export const c = () => tx.$queryRaw`SELECT id FROM documents d JOIN extractions x ON true`;',
      "export const d = () => sql.query('UPDATE documents SET status = $1');",
    ].join('\n'),
  },
  {
    what: 'other modules query their own tables and name documents in prose and properties',
    file: 'src/modules/extractions/__lint_probe__.repo.ts',
    code: [
      'declare const tx: unknown, sql: unknown, opened: unknown;',
      'export const a = () => tx.extraction.findMany({ where: {} });',
      "export const b = () => sql.query('SELECT words FROM document_text_layers WHERE document_id = $1');",
      'export const c = opened.document.filename;',
      "export const d = 'Delete a company that has no documents; documents from the upload';",
      'export const e = () => tx.$queryRaw`SELECT x.result FROM extractions x WHERE x.document_id = ${a}`;',
    ].join('\n'),
  },
  {
    what: 'app composes routes and services',
    file: 'src/app/__lint_probe__.ts',
    code: [
      "import '../modules/documents/documents.routes.js';",
      "import '../modules/documents/documents.service.js';",
      "import 'fastify';",
    ].join('\n'),
  },
  {
    what: 'workers start the modules’ jobs',
    file: 'src/workers/__lint_probe__.ts',
    code: ["import '../modules/documents/documents.jobs.js';", "import 'bullmq';"].join('\n'),
  },
  {
    what: 'extraction uses its own files and parsing packages',
    file: 'src/extraction/pdf/__lint_probe__.ts',
    code: ["import '../model.js';", "import 'mupdf';", "import 'node:zlib';"].join('\n'),
  },
  {
    what: 'core uses core',
    file: 'src/core/__lint_probe__.ts',
    code: "import './errors.js';",
  },
  {
    what: 'platform uses core and packages',
    file: 'src/platform/__lint_probe__.ts',
    code: ["import '../core/errors.js';", "import 'ioredis';"].join('\n'),
  },
  {
    what: 'platform/config.ts reads process.env',
    file: 'src/platform/config.ts',
    code: 'export const probe = process.env.PORT;',
  },
  {
    what: 'tests read process.env and import src/',
    file: 'test/unit/__lint_probe__.ts',
    code: [
      "import '../../src/modules/documents/documents.repo.js';",
      'export const probe = process.env.PORT;',
    ].join('\n'),
  },
];

describe('lint enforces the dependency direction of DESIGN.md', () => {
  it.each(forbidden)('$arrow fails lint with $rule', async (probe) => {
    const messages = await lintProbe(probe);
    expect(messages).toContainEqual({ ruleId: probe.rule, message: expect.stringContaining(probe.message) });
  });

  it.each(allowed)('$what passes lint', async (probe) => {
    expect(await lintProbe(probe)).toEqual([]);
  });
});
