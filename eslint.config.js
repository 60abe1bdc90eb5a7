// Lint rules, including the layer boundaries from DESIGN.md ("Dependency direction").
// test/unit/lint-boundaries.test.ts lints a probe for every forbidden arrow and proves each rule fires.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
/** A glob as an absolute path: the rule matches a glob zone's `except` against resolved imports as is. */
const absolute = (glob) => path.join(root, glob);

/** Every module folder: each gets a zone that keeps the other modules' repos out of it. */
const moduleNames = readdirSync(path.join(root, 'src/modules'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const REPOS = './src/modules/**/*.repo.ts';
/**
 * Files named `<m>.<role>.ts` other than repos and the module's vocabulary (schemas, views, status
 * tables, which a repo may check its writes against): services, routes, jobs and the use cases named
 * for their role (`extractions.pipeline.ts`). Single-name files (`filename.ts`) are helpers.
 */
const ROLE_FILES = './src/modules/**/*.*.ts';
const NOT_SERVICES = ['**/*.repo.ts', '**/*.schemas.ts', '**/*.views.ts', '**/*.status.ts'].map((glob) =>
  absolute(`src/modules/${glob}`),
);

/** Each zone: files in `target` may not import from `from` (paths relative to the repo root). */
const layerBoundaries = [
  { target: './src/core', from: './src', except: ['./core'], message: 'core imports nothing from src/.' },
  {
    target: './src/extraction',
    from: './src',
    except: ['./extraction'],
    message: 'extraction/ is a pure library.',
  },
  {
    target: './src/platform',
    from: './src',
    except: ['./platform', './core', './generated'],
    message: 'platform imports only core.',
  },
  { target: './src/modules', from: './src/app', message: 'services and repos never see the HTTP layer.' },
  ...moduleNames.map((name) => ({
    target: `./src/modules/${name}`,
    from: REPOS,
    except: [absolute(`src/modules/${name}/**`)],
    message: `${name}/ reaches another module through its service, never its repo.`,
  })),
  {
    target: './src/modules/**/*.routes.ts',
    from: REPOS,
    message: 'routes call their service; they never import a repo.',
  },
  {
    target: './src/modules/**/*.routes.ts',
    from: ['./src/platform/db', './src/generated'],
    message: 'routes never touch Prisma or the database.',
  },
  {
    // modules/http.ts holds the routes' Fastify helpers; anything else importing it would see Fastify.
    target: './src/modules/**/!(*.routes).ts',
    from: './src/modules/http.ts',
    message: 'only routes see Fastify requests.',
  },
  {
    target: REPOS,
    from: ROLE_FILES,
    except: NOT_SERVICES,
    message: 'a repo runs queries; it never imports a service, routes or jobs.',
  },
  { target: './src/app', from: REPOS, message: 'app composes routes; it never imports a repo.' },
  {
    target: ['./src/modules/**/*.jobs.ts', './src/workers'],
    from: REPOS,
    message: 'job processors call services; they never import a repo.',
  },
  { target: './src/workers', from: './src/app', message: 'workers never import the HTTP layer.' },
  {
    target: './src/cli',
    from: REPOS,
    message: 'CLI commands call services (which audit); they never import a repo.',
  },
  { target: './src/cli', from: './src/app', message: 'CLI commands never import the HTTP layer.' },
  {
    target: './src',
    from: ['./test', './bench', './scripts'],
    message: 'production code never imports tests, benchmarks or scripts.',
  },
];

/** Packages that do I/O or belong to the server: the extraction engine stays pure without them. */
const SERVER_PACKAGES = [
  'fastify',
  'fastify-*',
  '@fastify/*',
  'bullmq',
  '@bull-board/*',
  'ioredis',
  'pg',
  '@prisma/*',
  '@azure/*',
  'pino',
  'pino-*',
  '@opentelemetry/*',
  'prom-client',
  'nodemailer',
  'node:http',
  'node:https',
  'node:net',
  'node:dns',
];

/** `process.env` outside platform/config.ts, in the forms `no-restricted-properties` misses. */
const ENV_SYNTAX = [
  {
    selector: 'ImportDeclaration[source.value=/^(node:)?process$/]',
    message: 'use the global process; read settings from platform/config.ts.',
  },
  {
    selector: 'MemberExpression[object.property.name="process"][property.name="env"]',
    message: 'read settings from platform/config.ts.',
  },
];

const DOCUMENTS_OWNER =
  'only the repos of modules/documents query the documents table; elsewhere call DocumentsService.';
/** Prisma's delegate methods: `x.document.findMany(...)` is a query of the documents table. */
const PRISMA_METHODS =
  'aggregate|count|create|createMany|createManyAndReturn|delete|deleteMany|findFirst|findFirstOrThrow|findMany|findUnique|findUniqueOrThrow|groupBy|update|updateMany|updateManyAndReturn|upsert';
/**
 * Queries of the `documents` (and `document_keys`) tables outside modules/documents: Prisma's
 * `document` / `documentKey` delegates, and SQL text (template or string) that reads, joins,
 * writes or locks the table by name.
 */
const DOCUMENTS_TABLE_SYNTAX = [
  {
    selector: `MemberExpression[property.name=/^(document|documentKey)$/][parent.type="MemberExpression"][parent.property.name=/^(${PRISMA_METHODS})$/]`,
    message: DOCUMENTS_OWNER,
  },
  ...['TemplateElement[value.raw', 'Literal[value'].map((node) => ({
    selector: `${node}=/\\b(from|join|update|into|table)\\s+(only\\s+)?(documents|document_keys)\\b/i]`,
    message: DOCUMENTS_OWNER,
  })),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'src/generated/', 'test/e2e/generated/', 'coverage/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    plugins: { 'import-x': importX },
    // Resolve `./x.js` specifiers to their `.ts` sources, so the boundaries below see every import.
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerBoundaries, basePath: root }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  // Package bans. `no-restricted-imports` options do not merge across config objects, so the
  // file sets below do not overlap.
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^[^.]', message: 'core imports no packages, not even node: builtins.' }] },
      ],
    },
  },
  {
    files: ['src/extraction/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: SERVER_PACKAGES, message: 'extraction/ is pure: no server, database or network.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/modules/**'],
    ignores: ['src/modules/**/*.routes.ts', 'src/modules/http.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', 'fastify-*', '@fastify/*'],
              message: 'only routes see Fastify; services, repos and jobs never do.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/modules/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@prisma/*', 'pg'], message: 'routes never touch Prisma or the database.' }] },
      ],
    },
  },
  {
    // Configuration is read in one place (CONVENTIONS 9): everything else gets the parsed config.
    files: ['src/**'],
    ignores: ['src/platform/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read settings from platform/config.ts.' },
      ],
      'no-restricted-syntax': ['error', ...ENV_SYNTAX],
    },
  },
  {
    // One owner of the documents table (CONVENTIONS 16): the documents module's repos; the rest of
    // src/ (its services included) asks them. Repeats ENV_SYNTAX: a later `no-restricted-syntax`
    // replaces the earlier one's options.
    files: ['src/**'],
    ignores: ['src/modules/documents/*.repo.ts', 'src/platform/config.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ENV_SYNTAX, ...DOCUMENTS_TABLE_SYNTAX] },
  },
  {
    // Production code imports only `dependencies`: dev tools (the dev mail catcher's smtp-server
    // and mailparser, Azurite, test libraries) stay in scripts/, test/ and bench/.
    files: ['src/**'],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: false }] },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-console': 'off' },
  },
);
