// Lint rules, including the layer boundaries from DESIGN.md ("Dependency direction").
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

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
      'import-x/no-restricted-paths': ['error', { zones: layerBoundaries }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/modules/**/*.repo.ts', 'src/modules/**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'fastify', message: 'Services never see Fastify objects.' }] },
      ],
    },
  },
  {
    files: ['src/modules/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/platform/db/*', '**/generated/*'], message: 'Routes never touch Prisma.' },
          ],
        },
      ],
    },
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
