import { z } from 'zod';
import { idOf, listQuery, timestamp } from '../api-shapes.js';

/** Request and response shapes of the access module; the OpenAPI document is generated from them. */

export const roleSchema = z.enum(['owner', 'super_admin', 'admin', 'member']);
export const invitableRoleSchema = z.enum(['super_admin', 'admin', 'member']);
export const apiKeyModeSchema = z
  .enum(['read_only', 'full', 'ingest'])
  .describe('read_only: reads; full: reads and writes; ingest: usage events and entitlement checks only');

const email = z
  .email()
  .max(254)
  .transform((value) => value.toLowerCase());
// ISO 3166-1 alpha-2; the catalog of countries arrives with billing customers.
const country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'Use a two-letter ISO 3166 country code such as US or IN')
  .describe('ISO 3166-1 alpha-2 country code, asked for billing');
const postalCode = z.string().trim().min(2).max(16).describe('Postal or ZIP code, asked for billing');

const newPassword = z.string().min(10, 'Use at least 10 characters').max(200);

export const signUpBody = z.strictObject({
  email,
  password: newPassword,
  name: z.string().trim().min(1).max(120),
  country,
  postal_code: postalCode,
});

export const signInBody = z.strictObject({ email, password: z.string().min(1).max(200) });

export const changePasswordBody = z.strictObject({
  current_password: z.string().min(1).max(200),
  new_password: newPassword,
});

export const createOrganizationBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  country,
  postal_code: postalCode,
  parent_org_id: idOf('organization').optional().describe('Create a client organization under this one'),
});

export const updateOrganizationBody = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    country: country.optional(),
    postal_code: postalCode.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'Give at least one field to change' });

export const transferOwnershipBody = z.strictObject({ user_id: idOf('user') });
export const changeRoleBody = z.strictObject({ role: invitableRoleSchema });
export const createInvitationBody = z.strictObject({ email, role: invitableRoleSchema });
export const acceptInvitationBody = z.strictObject({ token: z.string().min(20).max(100) });
export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(80),
  // Ingest keys speak for an issuer: operators make them for the platform (createIngestKeyBody).
  mode: z.enum(['read_only', 'full']).describe('read_only: reads; full: reads and writes'),
});
export const createIngestKeyBody = z.strictObject({ name: z.string().trim().min(1).max(80) });

export const userParams = z.strictObject({ user_id: idOf('user') });
export const invitationParams = z.strictObject({ invitation_id: idOf('invitation') });
export const apiKeyParams = z.strictObject({ api_key_id: idOf('apiKey') });

export const auditQuery = listQuery.extend({
  action: z.string().max(80).optional(),
  actor_id: z.string().max(64).optional(),
  target_id: z.string().max(64).optional(),
  created_gte: z.iso.datetime({ offset: true }).optional(),
  created_lt: z.iso.datetime({ offset: true }).optional(),
});

export const userObject = z.object({
  id: z.string(),
  object: z.literal('user'),
  email: z.string(),
  name: z.string(),
  is_operator: z.boolean(),
  created_at: timestamp,
});

export const organizationObject = z.object({
  id: z.string(),
  object: z.literal('organization'),
  kind: z.enum(['personal', 'organization', 'platform']),
  name: z.string(),
  country: z.string(),
  postal_code: z.string(),
  parent_org_id: z.string().nullable(),
  created_at: timestamp,
});

export const membershipObject = z.object({
  object: z.literal('membership'),
  org_id: z.string(),
  user_id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  created_at: timestamp,
});

export const myOrganizationObject = organizationObject.extend({ role: roleSchema.nullable() });

export const sessionObject = z.object({
  object: z.literal('session'),
  user: userObject,
  csrf_token: z.string().describe('Send it back as X-CSRF-Token on every write made with the session cookie'),
  organizations: z.array(myOrganizationObject),
});

export const passwordChangeObject = z.object({
  object: z.literal('password_change'),
  user: userObject,
  other_sessions_ended: z
    .number()
    .int()
    .describe("The person's other sessions, signed out by the change; the one that made it stays"),
});

export const sessionsEndedObject = z.object({
  object: z.literal('session'),
  deleted: z.literal(true),
  sessions_ended: z.number().int().describe('Every session of the person, this one included'),
});

export const invitationObject = z.object({
  id: z.string(),
  object: z.literal('invitation'),
  org_id: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  created_at: timestamp,
  expires_at: timestamp,
  url: z.string().nullable().describe('The invite link; only in the response that created it'),
});

export const invitationPreviewObject = z.object({
  object: z.literal('invitation_preview'),
  org_name: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
});

export const apiKeyObject = z.object({
  id: z.string(),
  object: z.literal('api_key'),
  name: z.string(),
  mode: apiKeyModeSchema,
  last4: z.string(),
  created_by: z.string(),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
  secret: z.string().nullable().describe('The secret; only in the response that created the key'),
});

export const auditEventObject = z.object({
  id: z.string(),
  object: z.literal('audit_event'),
  org_id: z.string(),
  actor_type: z.enum(['user', 'api_key', 'system']),
  actor_id: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  request_id: z.string(),
  created_at: timestamp,
  summary: z
    .string()
    .describe(
      'The event in one plain sentence: who did what to which, with amounts in their currency, dates in UTC and the reason given, e.g. "Dana Reyes refunded $120.50 of payment pay_…: duplicate"',
    ),
});

export type UserObject = z.infer<typeof userObject>;
export type OrganizationObject = z.infer<typeof organizationObject>;
export type MembershipObject = z.infer<typeof membershipObject>;
export type InvitationObject = z.infer<typeof invitationObject>;
export type ApiKeyObject = z.infer<typeof apiKeyObject>;
export type AuditEventObject = z.infer<typeof auditEventObject>;
