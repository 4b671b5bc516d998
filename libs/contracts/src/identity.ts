/**
 * The allowed values of identity's enumerations, defined once. Types, request validation
 * (`@IsIn`), OpenAPI enums, entity checks and the migrations' CHECK constraints all read these
 * arrays, so adding a value is one edit here plus a migration that rebuilds the constraint
 * (see `sqlIn`).
 */

/** What an API key may do; every key of an organization acts with the role its kind gives. */
export const ROLES = ['admin', 'vendor', 'buyer'] as const;
export type Role = (typeof ROLES)[number];

/** Operators (admin), data vendors and buyers. The kind decides the role of every key. */
export const ORGANIZATION_KINDS = ['vendor', 'buyer', 'admin'] as const satisfies readonly Role[];
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

/** The kinds anyone may sign up as; operators are made by operators. */
export const SIGN_UP_KINDS = ['vendor', 'buyer'] as const satisfies readonly OrganizationKind[];
export type SignUpKind = (typeof SIGN_UP_KINDS)[number];

/** Buyers start active, vendors pending until an operator approves them. */
export const ORGANIZATION_STATUSES = ['pending', 'active', 'suspended'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

/**
 * What a key may do within its role: `full`, everything the role may; `read`, only GET and HEAD
 * (search, listings, orders, invoices, manifests and their signed download URLs), for the
 * training cluster or dashboard that should never buy, pay, publish or make keys.
 */
export const API_KEY_ACCESS = ['full', 'read'] as const;
export type ApiKeyAccess = (typeof API_KEY_ACCESS)[number];

/** How an audited call ended: done, refused (401, 403, 429), or failed otherwise. */
export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * A CHECK expression that allows exactly `values` in `column`, for entities (`@Check`) and
 * migrations: `kind IN ('vendor', 'buyer', 'admin')`. Values are SQL string literals.
 */
export function sqlIn(column: string, values: readonly string[]): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(column)) throw new Error(`sqlIn: ${column} is not a plain column name`);
  if (values.length === 0) throw new Error(`sqlIn: no values for ${column}`);
  return `${column} IN (${values.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ')})`;
}
