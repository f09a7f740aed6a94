import { type Kysely, sql } from 'kysely';

/** Accounts and access: identity, organizations, roles, API keys, the audit log, idempotency. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id text primary key,
      email text not null,
      name text not null,
      password_hash text not null,
      is_operator boolean not null default false,
      created_at timestamptz not null
    );
    create unique index users_email_key on users (lower(email));

    create table sessions (
      token_hash text primary key,
      user_id text not null references users (id) on delete cascade,
      csrf_token text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    );
    create index sessions_user_idx on sessions (user_id);

    create table organizations (
      id text primary key,
      kind text not null check (kind in ('personal', 'organization')),
      name text not null,
      country char(2) not null,
      postal_code text not null,
      parent_org_id text references organizations (id),
      created_by text not null references users (id),
      created_at timestamptz not null
    );
    create index organizations_parent_idx on organizations (parent_org_id);

    create table memberships (
      org_id text not null references organizations (id),
      user_id text not null references users (id),
      role text not null check (role in ('owner', 'super_admin', 'admin', 'member')),
      created_at timestamptz not null,
      primary key (org_id, user_id)
    );
    create index memberships_user_idx on memberships (user_id);
    -- Exactly one owner per organization.
    create unique index memberships_one_owner on memberships (org_id) where role = 'owner';

    create table invitations (
      org_id text not null references organizations (id),
      id text not null,
      email text not null,
      role text not null check (role in ('super_admin', 'admin', 'member')),
      token_hash text not null,
      invited_by text not null references users (id),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      accepted_at timestamptz,
      accepted_by text references users (id),
      revoked_at timestamptz,
      primary key (org_id, id)
    );
    create unique index invitations_token_key on invitations (token_hash);

    create table api_keys (
      org_id text not null references organizations (id),
      id text not null,
      name text not null,
      mode text not null check (mode in ('read_only', 'full')),
      secret_hash text not null,
      last4 text not null,
      created_by text not null references users (id),
      created_at timestamptz not null,
      revoked_at timestamptz,
      primary key (org_id, id)
    );
    create unique index api_keys_secret_key on api_keys (secret_hash);

    create table audit_events (
      org_id text not null references organizations (id),
      id text not null,
      seq bigint generated always as identity,
      actor_type text not null check (actor_type in ('user', 'api_key', 'system')),
      actor_id text not null,
      action text not null,
      target_type text not null,
      target_id text not null,
      before jsonb,
      after jsonb,
      request_id text not null,
      created_at timestamptz not null,
      primary key (org_id, id)
    );
    create index audit_events_org_seq_idx on audit_events (org_id, seq desc);
    create index audit_events_request_idx on audit_events (request_id);

    -- The owner of a key is its scope: an organization, a signed-in user, or anonymous.
    create table idempotency_keys (
      scope text not null,
      key text not null,
      request_hash text not null,
      response_status integer,
      response_body jsonb,
      created_at timestamptz not null,
      primary key (scope, key)
    );

    -- A job's effect and this row commit together, so a job retried after a crash does nothing twice.
    create table job_effects (
      org_id text not null,
      job_id text not null,
      queue text not null,
      completed_at timestamptz not null,
      primary key (org_id, job_id)
    );
  `.execute(db);
}
