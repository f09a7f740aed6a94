import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSession } from '../api/session';
import { AuthLayout, withNext } from '../auth/AuthLayout';
import { Alert, Button, buttonClass, Loading, RoleBadge, StatusBadge } from '../ui';
import './invite.css';

/** An invite link: what it is for, and a way to accept it (signing in or up first if needed). */
export function InvitePage() {
  const { token = '' } = useParams();
  const { state, signedIn, refresh, signOut } = useSession();
  const navigate = useNavigate();
  const preview = useQuery(queries.invitationPreview(token));
  const here = `/invite/${encodeURIComponent(token)}`;
  const accept = useSubmit({
    send: () => api.POST('/v1/invitations/accept', { body: { token } }),
    onSuccess: async (org) => {
      await refresh(org.id);
      navigate('/', { replace: true });
    },
  });

  if (preview.isPending || state.status === 'loading') {
    return (
      <AuthLayout title="Invitation">
        <Loading />
      </AuthLayout>
    );
  }
  if (preview.error || !preview.data) {
    return (
      <AuthLayout title="Invitation not found" subtitle="This invite link is not valid. Ask for a new one.">
        <Link className={buttonClass('secondary')} to="/">
          Go to Billfold
        </Link>
      </AuthLayout>
    );
  }

  const invitation = preview.data;
  const pending = invitation.status === 'pending';
  const wrongPerson =
    signedIn !== undefined && signedIn.user.email.toLowerCase() !== invitation.email.toLowerCase();

  return (
    <AuthLayout
      wide
      title={`Join ${invitation.org_name}`}
      subtitle="You have been invited to an organization on Billfold."
    >
      <div className="stack">
        <dl className="invite-details">
          <div>
            <dt>Organization</dt>
            <dd>{invitation.org_name}</dd>
          </div>
          <div>
            <dt>Invited email</dt>
            <dd>{invitation.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              <RoleBadge role={invitation.role} />
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={invitation.status} />
            </dd>
          </div>
        </dl>

        {!pending ? (
          <Alert tone="warning">
            This invitation is {invitation.status}. Ask an owner of {invitation.org_name} for a new one.
          </Alert>
        ) : signedIn ? (
          <>
            {wrongPerson ? (
              <Alert tone="warning">
                You are signed in as {signedIn.user.email}, but this invitation is for {invitation.email}.
              </Alert>
            ) : null}
            {accept.errors.general ? <Alert>{accept.errors.general}</Alert> : null}
            {wrongPerson ? (
              <Button
                onClick={async () => {
                  await signOut();
                  navigate(withNext('/sign-in', here));
                }}
              >
                Sign out and switch account
              </Button>
            ) : (
              <Button variant="primary" block busy={accept.pending} onClick={() => accept.submit()}>
                {accept.pending ? 'Accepting…' : 'Accept invitation'}
              </Button>
            )}
          </>
        ) : (
          <>
            <p className="muted">Sign in or create an account with {invitation.email} to accept.</p>
            <div className="invite-actions">
              <Link
                className={buttonClass('primary')}
                to={`${withNext('/sign-up', here)}&email=${encodeURIComponent(invitation.email)}`}
              >
                Create an account
              </Link>
              <Link className={buttonClass('secondary')} to={withNext('/sign-in', here)}>
                Sign in
              </Link>
            </div>
          </>
        )}
      </div>
    </AuthLayout>
  );
}
