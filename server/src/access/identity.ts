import type { z } from 'zod';
import { type Ctx, withTransaction } from '../context.js';
import type { DbOrTx } from '../db/database.js';
import { newId } from '../db/ids.js';
import type { UserRow } from '../db/schema.js';
import { conflict, invalid, notFound, unauthenticated } from '../errors.js';
import { toDate } from '../time/index.js';
import type { changePasswordBody, signInBody, signUpBody, UserObject } from './access.schema.js';
import { recordAudit } from './audit.js';
import { createOrganizationRecord } from './organizations.js';
import { decoyPasswordHash, hashPassword, newSecret, sha256, verifyPassword } from './secrets.js';

/** People: sign-up (with their personal account), sign-in, sessions. */

export const SESSION_DAYS = 14;

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function signUp(ctx: Ctx, input: z.infer<typeof signUpBody>) {
  // Hashed before any transaction: argon2 is slow on purpose and must not hold a connection.
  const passwordHash = await hashPassword(input.password);
  return withTransaction(ctx, async (ctx) => {
    const existing = await findUserByEmail(ctx.db, input.email);
    if (existing)
      throw conflict('user.email_taken', 'An account with this email exists; sign in instead', 'email');
    const now = toDate(ctx.clock.now());
    const user = {
      id: newId('user'),
      email: input.email,
      name: input.name,
      password_hash: passwordHash,
      is_operator: false,
      created_at: now,
    };
    await ctx.db.insertInto('users').values(user).execute();
    // Everyone gets a personal account, so that a person can buy for themselves (ROCON's "personal license").
    const personal = await createOrganizationRecord(ctx, {
      kind: 'personal',
      name: input.name,
      country: input.country,
      postal_code: input.postal_code,
      ownerId: user.id,
    });
    await recordAudit(
      { ...ctx, actor: { type: 'user', id: user.id } },
      {
        orgId: personal.id,
        action: 'user.signed_up',
        targetType: 'user',
        targetId: user.id,
        after: { email: user.email, name: user.name },
      },
    );
    return { user, personal, session: await startSession(ctx.db, user.id, now) };
  });
}

export async function signIn(ctx: Ctx, input: z.infer<typeof signInBody>) {
  const user = await findUserByEmail(ctx.db, input.email);
  const valid = await verifyPassword(user?.password_hash ?? (await decoyPasswordHash()), input.password);
  if (!user || !valid) throw unauthenticated('session.invalid_credentials', 'Email or password is wrong');
  return { user, session: await startSession(ctx.db, user.id, toDate(ctx.clock.now())) };
}

export async function startSession(db: DbOrTx, userId: string, now: Date): Promise<NewSession> {
  const token = newSecret('bfs');
  const csrfToken = newSecret('csrf');
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * 86_400_000);
  await db
    .insertInto('sessions')
    .values({
      token_hash: sha256(token),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, csrfToken, expiresAt };
}

export async function endSession(db: DbOrTx, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}

export async function findSession(db: DbOrTx, token: string, now: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id',
      'users.email',
      'users.name',
      'users.is_operator',
      'users.created_at',
      'sessions.csrf_token',
    ])
    .where('sessions.token_hash', '=', sha256(token))
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Changes the signed-in person's password after checking the current one, and signs out every other
 * session of theirs (a stolen session must not outlive the password it was stolen with); the session
 * that made the change stays. Hashing happens outside the transaction, like sign-in's.
 */
export async function changePassword(
  ctx: Ctx,
  userId: string,
  currentSessionToken: string,
  input: z.infer<typeof changePasswordBody>,
) {
  const user = await ctx.db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (!(await verifyPassword(user.password_hash, input.current_password))) {
    throw invalid('user.wrong_password', 'The current password is wrong', 'current_password');
  }
  if (input.new_password === input.current_password) {
    throw invalid('user.password_unchanged', 'Choose a password other than the current one', 'new_password');
  }
  const passwordHash = await hashPassword(input.new_password);
  return withTransaction(ctx, async (ctx) => {
    // Only over the password just checked: of two changes racing, the second finds it gone.
    const changed = await ctx.db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .where('password_hash', '=', user.password_hash)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) {
      throw conflict(
        'user.password_changed',
        'The password was changed meanwhile; sign in again',
        'current_password',
      );
    }
    const ended = await ctx.db
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where('token_hash', '<>', sha256(currentSessionToken))
      .executeTakeFirst();
    const otherSessionsEnded = Number(ended.numDeletedRows);
    await recordAudit(ctx, {
      orgId: await personalOrganizationOf(ctx.db, userId),
      action: 'user.password_changed',
      targetType: 'user',
      targetId: userId,
      after: { other_sessions_ended: otherSessionsEnded },
    });
    return { user, otherSessionsEnded };
  });
}

/** Signs the person out everywhere: every session of theirs ends, the one asking included. */
export async function endAllSessions(ctx: Ctx, userId: string): Promise<number> {
  const ended = await ctx.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  const sessionsEnded = Number(ended.numDeletedRows);
  await recordAudit(ctx, {
    orgId: await personalOrganizationOf(ctx.db, userId),
    action: 'user.signed_out_everywhere',
    targetType: 'user',
    targetId: userId,
    after: { sessions_ended: sessionsEnded },
  });
  return sessionsEnded;
}

/** Where a person's own events are logged: their personal account, which everyone has from sign-up. */
async function personalOrganizationOf(db: DbOrTx, userId: string): Promise<string> {
  const personal = await db
    .selectFrom('organizations')
    .select('id')
    .where('kind', '=', 'personal')
    .where('created_by', '=', userId)
    .orderBy('created_at')
    .executeTakeFirstOrThrow();
  return personal.id;
}

export function findUserByEmail(db: DbOrTx, email: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export function presentUser(
  user: Pick<UserRow, 'id' | 'email' | 'name' | 'is_operator' | 'created_at'>,
): UserObject {
  return {
    id: user.id,
    object: 'user',
    email: user.email,
    name: user.name,
    is_operator: user.is_operator,
    created_at: user.created_at.toISOString(),
  };
}

/** Makes a person a platform operator (C2): they read every organization and run the catalog. */
export async function grantOperator(ctx: Ctx, email: string) {
  const user = await findUserByEmail(ctx.db, email);
  if (!user) throw notFound('user.not_found', `No account with the email ${email}`);
  if (user.is_operator) return user;
  await ctx.db.updateTable('users').set({ is_operator: true }).where('id', '=', user.id).execute();
  await recordAudit(ctx, {
    orgId: await personalOrganizationOf(ctx.db, user.id),
    action: 'user.operator_granted',
    targetType: 'user',
    targetId: user.id,
    before: { is_operator: false },
    after: { is_operator: true },
  });
  return { ...user, is_operator: true };
}
