import * as access from '../access/index.js';
import type { Ctx } from '../context.js';
import { silentLogger } from '../context.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../time/index.js';

export const DEMO_PASSWORD = 'billfold-demo';

/**
 * Demo data for a first look: an operator, an organization with an owner, an admin and a member,
 * a client organization under it, and an API key. Added only to an empty database, through the same
 * services the API uses, so the audit log tells how it came about.
 */
export async function seedDemo(db: Db, clock: Clock) {
  const anyone = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (anyone) return null;
  return db.transaction().execute(async (tx) => {
    const ctx: Ctx = {
      db: tx,
      clock,
      log: silentLogger,
      actor: { type: 'system', id: 'demo' },
      requestId: 'req_demo',
    };
    const person = async (email: string, name: string) =>
      (
        await access.signUp(ctx, {
          email,
          name,
          password: DEMO_PASSWORD,
          country: 'US',
          postal_code: '94107',
        })
      ).user;
    await person('operator@example.com', 'Olivia Operator');
    await access.grantOperator(ctx, 'operator@example.com');
    const owner = await person('demo@example.com', 'Dana Demo');
    const admin = await person('admin@example.com', 'Avery Admin');
    const member = await person('member@example.com', 'Morgan Member');
    const asOwner: Ctx = { ...ctx, actor: { type: 'user', id: owner.id } };
    const org = await access.createOrganization(asOwner, owner.id, {
      name: 'Acme Cloud',
      country: 'US',
      postal_code: '94107',
    });
    await access.createOrganization(asOwner, owner.id, {
      name: 'Globex (client of Acme)',
      country: 'IN',
      postal_code: '560001',
      parent_org_id: org.id,
    });
    for (const [user, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      const invitation = await access.createInvitation(
        asOwner,
        org.id,
        { email: user.email, role },
        (t) => t,
      );
      if (!invitation.url) throw new Error('invitation without token');
      await access.acceptInvitation({ ...ctx, actor: { type: 'user', id: user.id } }, user, invitation.url);
    }
    await access.createApiKey(asOwner, org.id, { name: 'Demo integration', mode: 'read_only' });
    return { orgId: org.id, ownerId: owner.id };
  });
}
