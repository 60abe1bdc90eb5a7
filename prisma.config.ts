// Prisma CLI configuration. Only `prisma generate` is used on machines without Prisma's native
// schema engine; migrations are applied by our own runner (`npm run db:migrate`), which keeps
// `_prisma_migrations` in the format `prisma migrate deploy` expects.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.MIGRATION_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/doklad',
  },
});
