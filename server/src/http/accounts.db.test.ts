import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi, uniqueEmail } from '../testing/api.js';
import { countRows, engines } from '../testing/databases.js';

describe.each(engines())('accounts and access on %s', (engine) => {
  let api: TestApi;
  let owner: Person;
  let orgId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    owner = await api.signUp({ name: 'Olga Owner' });
    const created = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { name: 'Acme Cloud', country: 'US', postal_code: '10001' },
    });
    expect(created.statusCode).toBe(201);
    orgId = created.json().id;
  });
  afterAll(() => api.close());

  async function invite(email: string, role: 'super_admin' | 'admin' | 'member') {
    const response = await api.call({
      method: 'POST',
      url: '/v1/invitations',
      as: owner,
      org: orgId,
      body: { email, role },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; url: string };
  }

  async function join(role: 'super_admin' | 'admin' | 'member') {
    const person = await api.signUp();
    const { url } = await invite(person.email, role);
    const token = url.split('/invite/')[1];
    const accepted = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: person,
      body: { token },
    });
    expect(accepted.statusCode).toBe(200);
    return person;
  }

  it('signs up with a personal account, signs in, reads the session, signs out', async () => {
    const email = uniqueEmail('signin');
    const person = await api.signUp({ email, country: 'IN', postal_code: '560001' });
    const session = await api.call({ method: 'GET', url: '/v1/session', as: person });
    expect(session.json().organizations).toMatchObject([{ kind: 'personal', country: 'IN', role: 'owner' }]);

    const wrong = await api.call({
      method: 'POST',
      url: '/v1/session',
      body: { email, password: 'not the password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('session.invalid_credentials');

    const signedIn = await api.call({
      method: 'POST',
      url: '/v1/session',
      body: { email, password: 'correct horse battery' },
    });
    expect(signedIn.statusCode).toBe(200);
    const cookie = signedIn.cookies.find((c) => c.name === 'billfold_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');

    const again = {
      ...person,
      cookie: `billfold_session=${cookie?.value}`,
      csrf: signedIn.json().csrf_token,
    };
    expect((await api.call({ method: 'DELETE', url: '/v1/session', as: again })).statusCode).toBe(200);
    expect((await api.call({ method: 'GET', url: '/v1/session', as: again })).statusCode).toBe(401);
    // The first session is untouched.
    expect((await api.call({ method: 'GET', url: '/v1/session', as: person })).statusCode).toBe(200);
  });

  it('refuses a second account with the same email, in any case', async () => {
    const email = uniqueEmail('dup');
    await api.signUp({ email });
    const users = await countRows(api.database, 'users');
    const again = await api.call({
      method: 'POST',
      url: '/v1/users',
      body: {
        email: email.toUpperCase(),
        password: 'correct horse battery',
        name: 'X',
        country: 'US',
        postal_code: '10001',
      },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('user.email_taken');
    expect(await countRows(api.database, 'users')).toBe(users);
  });

  it('rate-limits sign-in attempts for one email', async () => {
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await api.call({
        method: 'POST',
        url: '/v1/session',
        body: { email, password: 'guess guess guess' },
      });
      statuses.push(r.statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('refuses cookie writes without the CSRF token', async () => {
    const response = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      headers: { 'x-csrf-token': 'csrf_forged' },
      body: { name: 'Forged', country: 'US', postal_code: '10001' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('csrf.invalid');
  });

  it('asks country and postal code for billing, and nests client organizations under a parent', async () => {
    const missing = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { name: 'No country' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.param).toBe('country');

    const client = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { name: 'Client Co', country: 'IN', postal_code: '400001', parent_org_id: orgId },
    });
    expect(client.statusCode).toBe(201);
    expect(client.json()).toMatchObject({ parent_org_id: orgId, role: 'owner', kind: 'organization' });

    const stranger = await api.signUp();
    const refused = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: stranger,
      body: { name: 'Hijack', country: 'US', postal_code: '10001', parent_org_id: orgId },
    });
    expect(refused.statusCode).toBe(404);
  });

  it('invites, accepts, changes roles, removes, and transfers ownership', async () => {
    const admin = await join('admin');
    const members = await api.call({ method: 'GET', url: '/v1/members', as: owner, org: orgId });
    expect(members.json().data.find((m: { user_id: string }) => m.user_id === admin.userId)?.role).toBe(
      'admin',
    );

    const promoted = await api.call({
      method: 'POST',
      url: `/v1/members/${admin.userId}`,
      as: owner,
      org: orgId,
      body: { role: 'super_admin' },
    });
    expect(promoted.json().role).toBe('super_admin');

    const ownerRole = await api.call({
      method: 'POST',
      url: `/v1/members/${owner.userId}`,
      as: admin,
      org: orgId,
      body: { role: 'member' },
    });
    expect(ownerRole.statusCode).toBe(400);
    expect(ownerRole.json().error.code).toBe('member.owner_role_fixed');

    const member = await join('member');
    const removed = await api.call({
      method: 'DELETE',
      url: `/v1/members/${member.userId}`,
      as: admin,
      org: orgId,
    });
    expect(removed.statusCode).toBe(200);
    const afterRemoval = await api.call({ method: 'GET', url: '/v1/organization', as: member, org: orgId });
    expect(afterRemoval.statusCode).toBe(403);

    // Ownership moves only by the owner's hand; the old owner stays as a super admin.
    const notOwner = await api.call({
      method: 'POST',
      url: '/v1/organization/transfer_ownership',
      as: admin,
      org: orgId,
      body: { user_id: admin.userId },
    });
    expect(notOwner.statusCode).toBe(403);
    const transferred = await api.call({
      method: 'POST',
      url: '/v1/organization/transfer_ownership',
      as: owner,
      org: orgId,
      body: { user_id: admin.userId },
    });
    expect(transferred.statusCode).toBe(200);
    const roles = Object.fromEntries(
      transferred.json().data.map((m: { user_id: string; role: string }) => [m.user_id, m.role]),
    );
    expect(roles[admin.userId]).toBe('owner');
    expect(roles[owner.userId]).toBe('super_admin');
    const back = await api.call({
      method: 'POST',
      url: '/v1/organization/transfer_ownership',
      as: admin,
      org: orgId,
      body: { user_id: owner.userId },
    });
    expect(back.statusCode).toBe(200);
  });

  it('accepts an invitation only once, only for the invited email, and not after revocation', async () => {
    const invited = await api.signUp();
    const other = await api.signUp();
    const { id, url } = await invite(invited.email, 'member');
    const token = url.split('/invite/')[1];

    const preview = await api.call({ method: 'GET', url: `/v1/invitation_previews/${token}` });
    expect(preview.json()).toMatchObject({ org_name: 'Acme Cloud', role: 'member', status: 'pending' });

    const mismatch = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: other,
      body: { token },
    });
    expect(mismatch.json().error.code).toBe('invitation.email_mismatch');
    expect(
      (await api.call({ method: 'POST', url: '/v1/invitations/accept', as: invited, body: { token } }))
        .statusCode,
    ).toBe(200);
    const twice = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: invited,
      body: { token },
    });
    expect(twice.json().error.code).toBe('invitation.accepted');

    const second = await invite(other.email, 'member');
    const revoked = await api.call({
      method: 'DELETE',
      url: `/v1/invitations/${second.id}`,
      as: owner,
      org: orgId,
    });
    expect(revoked.json().status).toBe('revoked');
    const late = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: other,
      body: { token: second.url.split('/invite/')[1] },
    });
    expect(late.json().error.code).toBe('invitation.revoked');
    expect(id).toMatch(/^inv_/);
  });

  it('creates API keys whose secret is shown once and stored hashed; revoked keys stop at once', async () => {
    const created = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: owner,
      org: orgId,
      body: { name: 'CI', mode: 'read_only' },
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret).toMatch(/^bfk_[0-9A-Za-z]{40}$/);

    const stored = await api.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_hash).not.toContain(secret);
    expect(JSON.stringify(stored)).not.toContain(secret);

    const listed = await api.call({ method: 'GET', url: '/v1/api_keys', as: owner, org: orgId });
    expect(listed.json().data.find((k: { id: string }) => k.id === id).secret).toBeNull();

    const read = await api.call({ method: 'GET', url: '/v1/organization', as: { apiKey: secret } });
    expect(read.json()).toMatchObject({ id: orgId, name: 'Acme Cloud' });
    const write = await api.call({
      method: 'POST',
      url: '/v1/organization',
      as: { apiKey: secret },
      body: { name: 'Renamed by a read-only key' },
    });
    expect(write.statusCode).toBe(403);

    expect(
      (await api.call({ method: 'DELETE', url: `/v1/api_keys/${id}`, as: owner, org: orgId })).statusCode,
    ).toBe(200);
    const after = await api.call({ method: 'GET', url: '/v1/organization', as: { apiKey: secret } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('api_key.invalid');
  });

  it('records every change in the audit log with actor, before and after, and filters it', async () => {
    const renamed = await api.call({
      method: 'POST',
      url: '/v1/organization',
      as: owner,
      org: orgId,
      body: { name: 'Acme Cloud Inc.' },
    });
    const requestId = renamed.headers['request-id'];
    const events = await api.call({
      method: 'GET',
      url: '/v1/audit_events?action=organization.updated',
      as: owner,
      org: orgId,
    });
    const [latest] = events.json().data;
    expect(latest).toMatchObject({
      action: 'organization.updated',
      actor_type: 'user',
      actor_id: owner.userId,
      target_id: orgId,
      request_id: requestId,
      before: { name: 'Acme Cloud' },
      after: { name: 'Acme Cloud Inc.' },
    });
    const all = await api.call({ method: 'GET', url: '/v1/audit_events?limit=100', as: owner, org: orgId });
    const actions = new Set(all.json().data.map((e: { action: string }) => e.action));
    for (const action of [
      'organization.created',
      'invitation.created',
      'member.joined',
      'member.role_changed',
      'api_key.created',
      'api_key.revoked',
    ]) {
      expect(actions).toContain(action);
    }

    const page1 = await api.call({ method: 'GET', url: '/v1/audit_events?limit=2', as: owner, org: orgId });
    expect(page1.json().has_more).toBe(true);
    const last = page1.json().data[1].id;
    const page2 = await api.call({
      method: 'GET',
      url: `/v1/audit_events?limit=2&starting_after=${last}`,
      as: owner,
      org: orgId,
    });
    expect(page2.json().data[0].id).not.toBe(last);
    expect(page2.json().data.map((e: { id: string }) => e.id)).not.toContain(page1.json().data[0].id);

    const byActor = await api.call({
      method: 'GET',
      url: `/v1/audit_events?actor_id=${owner.userId}&limit=100`,
      as: owner,
      org: orgId,
    });
    expect(byActor.json().data.every((e: { actor_id: string }) => e.actor_id === owner.userId)).toBe(true);
  });

  describe('password and sessions', () => {
    const password = 'correct horse battery';

    async function signInAgain(email: string, withPassword = password) {
      const response = await api.call({
        method: 'POST',
        url: '/v1/session',
        body: { email, password: withPassword },
      });
      const cookie = response.cookies.find((c) => c.name === 'billfold_session');
      return { status: response.statusCode, cookie: cookie ? `billfold_session=${cookie.value}` : '' };
    }

    const sessionStatus = async (cookie: string) =>
      (await api.call({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode;

    async function auditActions(person: Person, action: string) {
      const response = await api.call({
        method: 'GET',
        url: `/v1/audit_events?action=${action}`,
        as: person,
        org: person.personalOrgId,
      });
      expect(response.statusCode).toBe(200);
      return response.json().data as Array<{
        actor_id: string;
        target_id: string;
        before: unknown;
        after: unknown;
      }>;
    }

    it('changes the password: other sessions end, this one stays, the old password stops working', async () => {
      const person = await api.signUp();
      const laptop = await signInAgain(person.email);
      const phone = await signInAgain(person.email);
      expect([laptop.status, phone.status]).toEqual([200, 200]);

      const change = (body: object, headers: Record<string, string> = {}) =>
        api.call({ method: 'POST', url: '/v1/user/password', as: person, body, headers });

      const wrong = await change({ current_password: 'not my password', new_password: 'a brand new secret' });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().error).toMatchObject({ code: 'user.wrong_password', param: 'current_password' });
      const same = await change({ current_password: password, new_password: password });
      expect(same.json().error.code).toBe('user.password_unchanged');
      const short = await change({ current_password: password, new_password: 'short' });
      expect(short.json().error).toMatchObject({ type: 'invalid_request', param: 'new_password' });
      const forged = await change(
        { current_password: password, new_password: 'a brand new secret' },
        { 'x-csrf-token': 'csrf_forged' },
      );
      expect(forged.json().error.code).toBe('csrf.invalid');
      // None of those changed anything.
      expect(await sessionStatus(laptop.cookie)).toBe(200);
      expect(await auditActions(person, 'user.password_changed')).toEqual([]);

      const changed = await change({ current_password: password, new_password: 'a brand new secret' });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({
        object: 'password_change',
        user: { id: person.userId },
        other_sessions_ended: 2,
      });
      expect(await sessionStatus(person.cookie)).toBe(200);
      expect(await sessionStatus(laptop.cookie)).toBe(401);
      expect(await sessionStatus(phone.cookie)).toBe(401);
      expect((await signInAgain(person.email)).status).toBe(401);
      expect((await signInAgain(person.email, 'a brand new secret')).status).toBe(200);

      const [entry, ...more] = await auditActions(person, 'user.password_changed');
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ actor_id: person.userId, target_id: person.userId });
      expect(entry?.after).toEqual({ other_sessions_ended: 2 });
      expect(JSON.stringify(entry)).not.toContain('argon2');
    });

    it('lets one of two concurrent changes from the same password through', async () => {
      const person = await api.signUp();
      const responses = await Promise.all(
        ['first new password', 'second new password'].map((new_password) =>
          api.call({
            method: 'POST',
            url: '/v1/user/password',
            as: person,
            body: { current_password: password, new_password },
          }),
        ),
      );
      const statuses = responses.map((r) => r.statusCode).sort();
      // The loser either finds the password changed under it (409) or, checking later, wrong (400).
      expect(statuses[0]).toBe(200);
      expect([400, 409]).toContain(statuses[1]);
      expect(await auditActions(person, 'user.password_changed')).toHaveLength(1);
      const winner = responses.findIndex((r) => r.statusCode === 200);
      const winning = ['first new password', 'second new password'][winner] ?? '';
      expect((await signInAgain(person.email, winning)).status).toBe(200);
    });

    it('limits password change attempts per person', async () => {
      const person = await api.signUp();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await api.call({
          method: 'POST',
          url: '/v1/user/password',
          as: person,
          body: { current_password: `guess number ${i}`, new_password: 'a brand new secret' },
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      // The right password is refused too until the window ends, and nothing changed.
      const right = await api.call({
        method: 'POST',
        url: '/v1/user/password',
        as: person,
        body: { current_password: password, new_password: 'a brand new secret' },
      });
      expect(right.json().error.code).toBe('request.rate_limited');
      expect((await signInAgain(person.email)).status).toBe(200);
      // Another person is not affected.
      const other = await api.signUp();
      const theirs = await api.call({
        method: 'POST',
        url: '/v1/user/password',
        as: other,
        body: { current_password: password, new_password: 'a brand new secret' },
      });
      expect(theirs.statusCode).toBe(200);
    });

    it('signs out everywhere: every session of the person ends, this one included', async () => {
      const person = await api.signUp();
      const elsewhere = await signInAgain(person.email);
      const bystander = await api.signUp();

      const response = await api.call({ method: 'DELETE', url: '/v1/sessions', as: person });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ object: 'session', deleted: true, sessions_ended: 2 });
      expect(response.cookies.find((c) => c.name === 'billfold_session')?.value).toBe('');
      expect(await sessionStatus(person.cookie)).toBe(401);
      expect(await sessionStatus(elsewhere.cookie)).toBe(401);
      expect(await sessionStatus(bystander.cookie)).toBe(200);

      const again = await signInAgain(person.email);
      expect(again.status).toBe(200);
      const audited = await api.call({
        method: 'GET',
        url: '/v1/audit_events?action=user.signed_out_everywhere',
        headers: { cookie: again.cookie },
        org: person.personalOrgId,
      });
      expect(audited.json().data).toMatchObject([{ actor_id: person.userId, after: { sessions_ended: 2 } }]);
    });

    it('takes neither route with an API key or without a session', async () => {
      const key = await api.call({
        method: 'POST',
        url: '/v1/api_keys',
        as: owner,
        org: orgId,
        body: { name: 'password probe', mode: 'full' },
      });
      const apiKey = key.json().secret as string;
      const body = { current_password: password, new_password: 'a brand new secret' };
      for (const as of [{ apiKey }, undefined]) {
        const change = await api.call({ method: 'POST', url: '/v1/user/password', as, body });
        const everywhere = await api.call({ method: 'DELETE', url: '/v1/sessions', as });
        expect([change.statusCode, everywhere.statusCode]).toEqual(as ? [403, 403] : [401, 401]);
      }
    });
  });
});
