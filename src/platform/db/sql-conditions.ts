/**
 * Builds the WHERE clause of a plain-SQL read (`db.read`) with numbered parameters, so callers
 * never splice a value into SQL: `q.add((p) => \`status = ${p}\`, 'validated')` appends
 * `status = $2` and its value.
 */
export interface SqlConditions {
  readonly params: unknown[];
  readonly where: string[];
  /** Appends a condition with one parameter; `sql` receives its placeholder (`$n`). */
  add(sql: (placeholder: string) => string, value: unknown): void;
  /** The placeholder for one more parameter (for ORDER/LIMIT or multi-parameter conditions). */
  param(value: unknown): string;
  /** `cond1 AND cond2 ...`. */
  clause(): string;
}

export function sqlConditions(...fixed: readonly string[]): SqlConditions {
  const params: unknown[] = [];
  const where = [...fixed];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  return {
    params,
    where,
    param,
    add: (sql, value) => void where.push(sql(param(value))),
    clause: () => where.join(' AND '),
  };
}
