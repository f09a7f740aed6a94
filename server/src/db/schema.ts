import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The database as Kysely sees it. One interface per table; migrations in ./migrations are the
 * source of truth and these types follow them.
 *
 * Tenancy: every table owned by a tenant carries `org_id`, and every unique key includes it.
 * Identity (users, sessions) is global: a person signs in once and belongs to many organizations.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_operator: boolean;
  created_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface OrganizationsTable {
  id: string;
  kind: 'personal' | 'organization';
  name: string;
  country: string;
  postal_code: string;
  parent_org_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export type Role = 'owner' | 'super_admin' | 'admin' | 'member';

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}

export interface InvitationsTable {
  org_id: string;
  id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
  revoked_at: Timestamp | null;
}

export type ApiKeyMode = 'read_only' | 'full';

export interface ApiKeysTable {
  org_id: string;
  id: string;
  name: string;
  mode: ApiKeyMode;
  secret_hash: string;
  last4: string;
  created_by: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface AuditEventsTable {
  org_id: string;
  id: string;
  seq: Generated<string>;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  before: Json | null;
  after: Json | null;
  request_id: string;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json | null;
  created_at: Timestamp;
}

export interface JobEffectsTable {
  org_id: string;
  job_id: string;
  queue: string;
  completed_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  job_effects: JobEffectsTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
