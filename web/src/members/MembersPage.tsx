import { useState } from 'react';
import { api, type Invitation, type Membership, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useSession, useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
import { formatDate, initials } from '../shared/format';
import {
  Alert,
  Button,
  Card,
  type Column,
  ConfirmDialog,
  EmptyState,
  Loading,
  MailIcon,
  Options,
  Page,
  RoleBadge,
  roleLabel,
  Select,
  StatusBadge,
  Table,
} from '../ui';
import { InviteMemberCard } from './InviteMemberCard';
import { assignableRoles, isAssignable } from './roles';
import './members.css';

type Notice = { tone: 'success' | 'error'; text: string } | undefined;

export function MembersPage() {
  const { organization, permissions, user } = useSignedIn();
  const { refresh } = useSession();
  const members = useApi(
    () =>
      allPages(
        (query) => api.GET('/v1/members', { params: { query } }),
        (m) => m.user_id,
      ),
    [organization.id],
  );
  const invitations = useApi(
    async () =>
      permissions.manage ? allPages((query) => api.GET('/v1/invitations', { params: { query } })) : undefined,
    [organization.id, permissions.manage],
  );
  const [notice, setNotice] = useState<Notice>();
  const [removing, setRemoving] = useState<Membership | undefined>();
  const [revoking, setRevoking] = useState<Invitation | undefined>();
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | undefined>();

  const replaceMember = (updated: Membership) =>
    members.setData((page) =>
      page ? { ...page, data: page.data.map((m) => (m.user_id === updated.user_id ? updated : m)) } : page,
    );

  const changeRole = async (member: Membership, role: string) => {
    if (!isAssignable(role) || role === member.role) return;
    setNotice(undefined);
    try {
      const updated = await unwrap(
        api.POST('/v1/members/{user_id}', { params: { path: { user_id: member.user_id } }, body: { role } }),
      );
      replaceMember(updated);
      setNotice({ tone: 'success', text: `${member.name} is now ${roleLabel(updated.role).toLowerCase()}.` });
      if (member.user_id === user.id) await refresh();
    } catch (error) {
      setNotice({ tone: 'error', text: toApiError(error).message });
    }
  };

  const confirmRemove = async () => {
    if (!removing) return;
    setBusy(true);
    setDialogError(undefined);
    try {
      await unwrap(api.DELETE('/v1/members/{user_id}', { params: { path: { user_id: removing.user_id } } }));
      members.setData((page) =>
        page ? { ...page, data: page.data.filter((m) => m.user_id !== removing.user_id) } : page,
      );
      setNotice({ tone: 'success', text: `${removing.name} was removed from ${organization.name}.` });
      setRemoving(undefined);
    } catch (error) {
      setDialogError(toApiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const confirmRevoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setDialogError(undefined);
    try {
      const revoked = await unwrap(
        api.DELETE('/v1/invitations/{invitation_id}', { params: { path: { invitation_id: revoking.id } } }),
      );
      invitations.setData((page) =>
        page ? { ...page, data: page.data.map((i) => (i.id === revoked.id ? revoked : i)) } : page,
      );
      setNotice({ tone: 'success', text: `The invitation for ${revoking.email} was revoked.` });
      setRevoking(undefined);
    } catch (error) {
      setDialogError(toApiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const columns: Column<Membership>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (m) => (
        <div className="member-cell">
          <span className="avatar" aria-hidden="true">
            {initials(m.name)}
          </span>
          <span className="cell-primary">
            {m.name}
            {m.user_id === user.id ? <span className="you-tag">(you)</span> : null}
          </span>
        </div>
      ),
    },
    { key: 'email', header: 'Email', render: (m) => m.email },
    {
      key: 'role',
      header: 'Role',
      render: (m) =>
        permissions.manage && m.role !== 'owner' && m.user_id !== user.id ? (
          <select
            className="select select-small role-select"
            aria-label={`Role of ${m.name}`}
            value={m.role}
            onChange={(e) => changeRole(m, e.target.value)}
          >
            <Options options={assignableRoles} />
          </select>
        ) : (
          <RoleBadge role={m.role} />
        ),
    },
    { key: 'joined', header: 'Joined', className: 'cell-nowrap', render: (m) => formatDate(m.created_at) },
    ...(permissions.manage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            className: 'cell-actions',
            render: (m: Membership) =>
              m.role === 'owner' || m.user_id === user.id ? null : (
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Remove ${m.name}`}
                  onClick={() => {
                    setDialogError(undefined);
                    setRemoving(m);
                  }}
                >
                  Remove
                </Button>
              ),
          },
        ]
      : []),
  ];

  const pending = (invitations.data?.data ?? []).filter((i) => i.status === 'pending');
  const invitationColumns: Column<Invitation>[] = [
    { key: 'email', header: 'Email', render: (i) => <span className="cell-primary">{i.email}</span> },
    { key: 'role', header: 'Role', render: (i) => <RoleBadge role={i.role} /> },
    { key: 'status', header: 'Status', render: (i) => <StatusBadge status={i.status} /> },
    { key: 'expires', header: 'Expires', className: 'cell-nowrap', render: (i) => formatDate(i.expires_at) },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      className: 'cell-actions',
      render: (i) => (
        <Button
          size="small"
          variant="ghost"
          aria-label={`Revoke invitation for ${i.email}`}
          onClick={() => {
            setDialogError(undefined);
            setRevoking(i);
          }}
        >
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <Page title="Members" description={`People in ${organization.name} and what they can do.`}>
      {permissions.manage ? (
        <InviteMemberCard
          onInvited={(invitation) =>
            invitations.setData((page) => (page ? { ...page, data: [invitation, ...page.data] } : page))
          }
        />
      ) : null}
      {notice ? <Alert tone={notice.tone}>{notice.text}</Alert> : null}
      <Card title="Members" flush>
        {members.error ? (
          <div className="card-body">
            <Alert>{members.error.message}</Alert>
          </div>
        ) : members.data ? (
          <Table label="Members" columns={columns} rows={members.data.data} rowKey={(m) => m.user_id} />
        ) : (
          <Loading />
        )}
      </Card>
      {permissions.manage ? (
        <Card title="Pending invitations" flush>
          {invitations.data ? (
            <Table
              label="Pending invitations"
              columns={invitationColumns}
              rows={pending}
              rowKey={(i) => i.id}
              empty={
                <EmptyState icon={<MailIcon />} title="No pending invitations">
                  Invitations you send appear here until they are accepted.
                </EmptyState>
              }
            />
          ) : invitations.error ? (
            <Alert>{invitations.error.message}</Alert>
          ) : (
            <Loading />
          )}
        </Card>
      ) : null}
      {permissions.transferOwnership && organization.kind === 'organization' && members.data ? (
        <TransferOwnershipCard
          members={members.data.data.filter((m) => m.user_id !== user.id)}
          onTransferred={async (list, to) => {
            members.setData((page) => (page ? { ...page, data: list } : page));
            setNotice({ tone: 'success', text: `${to.name} now owns ${organization.name}.` });
            await refresh();
          }}
        />
      ) : null}

      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove member"
          busy={busy}
          onCancel={() => setRemoving(undefined)}
          onConfirm={confirmRemove}
          error={dialogError ? <Alert>{dialogError}</Alert> : undefined}
        >
          {removing.email} loses access to {organization.name} at once. You can invite them again later.
        </ConfirmDialog>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke invitation?"
          confirmLabel="Revoke invitation"
          busy={busy}
          onCancel={() => setRevoking(undefined)}
          onConfirm={confirmRevoke}
          error={dialogError ? <Alert>{dialogError}</Alert> : undefined}
        >
          The invite link sent to {revoking.email} will stop working.
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function TransferOwnershipCard({
  members,
  onTransferred,
}: {
  members: Membership[];
  onTransferred: (list: Membership[], to: Membership) => Promise<void>;
}) {
  const { organization } = useSignedIn();
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const chosen = members.find((m) => m.user_id === target);

  const transfer = async () => {
    if (!chosen) return;
    setBusy(true);
    setError(undefined);
    try {
      const list = await unwrap(
        api.POST('/v1/organization/transfer_ownership', { body: { user_id: chosen.user_id } }),
      );
      setConfirming(false);
      await onTransferred(list.data, chosen);
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      className="danger-zone"
      title="Transfer ownership"
      description="Make another member the owner. You stay on as a super admin."
    >
      {members.length === 0 ? (
        <p className="muted">Invite someone first; ownership can only go to a member.</p>
      ) : (
        <div className="inline-form inline-form-narrow">
          <Select
            label="New owner"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            options={[
              { value: '', label: 'Choose a member…' },
              ...members.map((m) => ({ value: m.user_id, label: `${m.name} (${m.email})` })),
            ]}
          />
          <Button variant="danger" disabled={!chosen} onClick={() => setConfirming(true)}>
            Transfer ownership
          </Button>
        </div>
      )}
      {confirming && chosen ? (
        <ConfirmDialog
          title={`Make ${chosen.name} the owner?`}
          confirmLabel="Transfer ownership"
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={transfer}
          error={error ? <Alert>{error}</Alert> : undefined}
        >
          {chosen.name} becomes the owner of {organization.name} and you become a super admin. Only the new
          owner can transfer it back.
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
