import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/platform/package-root.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });

interface RuntimeField {
  name: string;
  kind: string;
  type: string;
  dbName?: string;
}
interface RuntimeModel {
  dbName: string | null;
  fields: RuntimeField[];
}

/** Prisma scalar type -> PostgreSQL types (information_schema names) our migrations may use for it. */
const COMPATIBLE: Record<string, string[]> = {
  String: ['text', 'uuid', 'character varying', 'inet'],
  DateTime: ['timestamp with time zone', 'date'],
  BigInt: ['bigint'],
  Int: ['integer'],
  Float: ['double precision'],
  Boolean: ['boolean'],
  Json: ['jsonb'],
  Bytes: ['bytea'],
  Decimal: ['numeric'],
};

/** The data model the generated client runs with (embedded in its generated class file). */
async function generatedModels(): Promise<Record<string, RuntimeModel>> {
  const source = await readFile(path.join(packageRoot(), 'src/generated/prisma/internal/class.ts'), 'utf8');
  const literal = /config\.runtimeDataModel = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(source)?.[1];
  if (!literal)
    throw new Error('runtimeDataModel not found in the generated client; run npm run db:generate');
  return (JSON.parse(JSON.parse(literal) as string) as { models: Record<string, RuntimeModel> }).models;
}

/** Optional (`Type?`) and list (`Type[]`) fields per model, from schema.prisma: the runtime model does not carry them. */
async function fieldModifiers(): Promise<Map<string, { optional: Set<string>; list: Set<string> }>> {
  const schema = await readFile(path.join(packageRoot(), 'prisma/schema.prisma'), 'utf8');
  const result = new Map<string, { optional: Set<string>; list: Set<string> }>();
  for (const match of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const fields = (modifier: string) =>
      new Set([...match[2]!.matchAll(new RegExp(`^\\s+(\\w+)\\s+\\w+${modifier}`, 'gm'))].map((m) => m[1]!));
    result.set(match[1]!, { optional: fields('\\?'), list: fields('\\[\\]') });
  }
  return result;
}

describe('schema.prisma, the generated client and the migrated database', () => {
  it('agree on every table, column, type and nullability', async () => {
    const models = await generatedModels();
    const modifiers = await fieldModifiers();
    const { rows } = await env.adminQuery<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const database = new Map<string, Map<string, { type: string; nullable: boolean }>>();
    for (const r of rows) {
      if (!database.has(r.table_name)) database.set(r.table_name, new Map());
      database
        .get(r.table_name)!
        .set(r.column_name, { type: r.data_type, nullable: r.is_nullable === 'YES' });
    }

    const problems: string[] = [];
    const modelTables = new Set<string>();
    for (const [modelName, model] of Object.entries(models)) {
      const table = model.dbName ?? modelName;
      modelTables.add(table);
      const columns = database.get(table);
      if (!columns) {
        problems.push(`model ${modelName}: table ${table} does not exist`);
        continue;
      }
      const fieldColumns = new Set<string>();
      for (const field of model.fields.filter((f) => f.kind === 'scalar')) {
        const column = field.dbName ?? field.name;
        fieldColumns.add(column);
        const actual = columns.get(column);
        if (!actual) {
          problems.push(`${modelName}.${field.name}: column ${table}.${column} does not exist`);
          continue;
        }
        const isList = modifiers.get(modelName)?.list.has(field.name) ?? false;
        if (isList ? actual.type !== 'ARRAY' : !COMPATIBLE[field.type]?.includes(actual.type)) {
          problems.push(`${modelName}.${field.name}: ${field.type} but ${table}.${column} is ${actual.type}`);
        }
        const isOptional = modifiers.get(modelName)?.optional.has(field.name) ?? false;
        if (isOptional !== actual.nullable) {
          problems.push(
            `${modelName}.${field.name}: optional=${isOptional} but ${table}.${column} nullable=${actual.nullable}`,
          );
        }
      }
      for (const column of columns.keys()) {
        if (!fieldColumns.has(column)) problems.push(`${table}.${column} has no field in model ${modelName}`);
      }
    }
    for (const table of database.keys()) {
      if (!modelTables.has(table)) problems.push(`table ${table} has no model in schema.prisma`);
    }
    expect(problems).toEqual([]);
    expect(modelTables.size).toBeGreaterThanOrEqual(5);
  });
});
