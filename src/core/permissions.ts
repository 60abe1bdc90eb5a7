/**
 * Permissions are the unit of authorization: routes declare the one they need, roles are sets of
 * them, and integration tokens carry an explicit subset (their scopes).
 */
export const PERMISSIONS = [
  'documents:read',
  'documents:write',
  'documents:delete-early',
  'extractions:read',
  'extractions:write',
  'extractions:export',
  'companies:read',
  'companies:manage',
  'members:read',
  'members:manage',
  'tokens:manage',
  'webhooks:manage',
  'audit:read',
  'automation:manage',
  'tenant:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'accountant', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: readonly Permission[] = [
  'documents:read',
  'extractions:read',
  'companies:read',
  'members:read',
];
/**
 * `extractions:export` marks validated data as taken over by the ERP (the ack), which removes it
 * from the hand-off list: accountants hold it because they run that hand-off (by hand, or through
 * an ERP token they ask an admin for, and a token never holds more than its creator), admins and
 * owners because they create the ERP tokens. It is separate from `extractions:write` so an ERP
 * token can acknowledge without being able to rewrite extractions; viewers hold neither.
 */
const ACCOUNTANT: readonly Permission[] = [
  ...VIEWER,
  'documents:write',
  'extractions:write',
  'extractions:export',
  'companies:manage',
];
const ADMIN: readonly Permission[] = [
  ...ACCOUNTANT,
  'documents:delete-early',
  'members:manage',
  'tokens:manage',
  'webhooks:manage',
  'audit:read',
  // The automation level decides which documents no person looks at: the firm's administrators'.
  'automation:manage',
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set([...ADMIN, 'tenant:manage']),
  admin: new Set(ADMIN),
  accountant: new Set(ACCOUNTANT),
  viewer: new Set(VIEWER),
};
