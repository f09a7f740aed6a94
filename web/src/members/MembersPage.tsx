import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Invitation, type Membership } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSession, useSignedIn } from '../api/session';
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
import { type AssignableRole, assignableRoles, isAssignable, roleRank } from './roles';
import './members.css';

export function MembersPage() {
  const { organization, permissions, user } = useSignedIn();
  const { refresh } = useSession();
  const members = useQuery(queries.members(organization.id));
  const invitations = useQuery({ ...queries.invitations(organization.id), enabled: permissions.manage });
  const [notice, setNotice] = useState<string | undefined>();
  const [removing, setRemoving] = useState<Membership | undefined>();
  const [revoking, setRevoking] = useState<Invitation | undefined>();

  const changeRole = useSubmit({
    send: ({ member, role }: { member: Membership; role: AssignableRole }) =>
      api.POST('/v1/members/{user_id}', { params: { path: { user_id: member.user_id } }, body: { role } }),
    onSuccess: async (updated, { member }) => {
      setNotice(`${member.name} is now ${roleLabel(updated.role).toLowerCase()}.`);
      if (member.user_id === user.id) await refresh();
    },
    invalidates: [queries.members(organization.id).queryKey],
  });
  const remove = useSubmit({
    send: (member: Membership) =>
      api.DELETE('/v1/members/{user_id}', { params: { path: { user_id: member.user_id } } }),
    onSuccess: (_, member) => {
      setNotice(`${member.name} was removed from ${organization.name}.`);
      setRemoving(undefined);
    },
    invalidates: [queries.members(organization.id).queryKey],
  });
  const revoke = useSubmit({
    send: (invitation: Invitation) =>
      api.DELETE('/v1/invitations/{invitation_id}', { params: { path: { invitation_id: invitation.id } } }),
    onSuccess: (_, invitation) => {
      setNotice(`The invitation for ${invitation.email} was revoked.`);
      setRevoking(undefined);
    },
    invalidates: [queries.invitations(organization.id).queryKey],
  });

  const columns: Column<Membership>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (m) => m.name,
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
    { key: 'email', header: 'Email', sortValue: (m) => m.email, render: (m) => m.email },
    {
      key: 'role',
      header: 'Role',
      // Ranked by power, the owner first when descending; searched by the name the badge shows.
      sortValue: (m) => roleRank.indexOf(m.role),
      filterValue: (m) => roleLabel(m.role),
      render: (m) =>
        permissions.manage && m.role !== 'owner' && m.user_id !== user.id ? (
          <select
            className="select select-small role-select"
            aria-label={`Role of ${m.name}`}
            value={m.role}
            onChange={(e) => {
              const role = e.target.value;
              if (!isAssignable(role) || role === m.role) return;
              setNotice(undefined);
              changeRole.submit({ member: m, role });
            }}
          >
            <Options options={assignableRoles} />
          </select>
        ) : (
          <RoleBadge role={m.role} />
        ),
    },
    {
      key: 'joined',
      header: 'Joined',
      className: 'cell-nowrap',
      sortValue: (m) => new Date(m.created_at),
      render: (m) => formatDate(m.created_at),
    },
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
                    remove.clear();
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
    {
      key: 'email',
      header: 'Email',
      sortValue: (i) => i.email,
      render: (i) => <span className="cell-primary">{i.email}</span>,
    },
    {
      key: 'role',
      header: 'Role',
      sortValue: (i) => roleRank.indexOf(i.role),
      filterValue: (i) => roleLabel(i.role),
      render: (i) => <RoleBadge role={i.role} />,
    },
    { key: 'status', header: 'Status', render: (i) => <StatusBadge status={i.status} /> },
    {
      key: 'expires',
      header: 'Expires',
      className: 'cell-nowrap',
      sortValue: (i) => new Date(i.expires_at),
      render: (i) => formatDate(i.expires_at),
    },
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
            revoke.clear();
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
      {permissions.manage ? <InviteMemberCard /> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {changeRole.errors.general ? <Alert>{changeRole.errors.general}</Alert> : null}
      <Card title="Members" flush>
        {members.error ? (
          <div className="card-body">
            <Alert>{members.error.message}</Alert>
          </div>
        ) : members.data ? (
          <Table
            label="Members"
            columns={columns}
            rows={members.data.data}
            rowKey={(m) => m.user_id}
            filterPlaceholder="Filter by name, email or role"
          />
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
              filterPlaceholder="Filter by email or role"
              pageSize={10}
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
          onTransferred={(to) => setNotice(`${to.name} now owns ${organization.name}.`)}
        />
      ) : null}

      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove member"
          busy={remove.pending}
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => remove.submit(removing)}
          error={remove.errors.general ? <Alert>{remove.errors.general}</Alert> : undefined}
        >
          {removing.email} loses access to {organization.name} at once. You can invite them again later.
        </ConfirmDialog>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke invitation?"
          confirmLabel="Revoke invitation"
          busy={revoke.pending}
          onCancel={() => setRevoking(undefined)}
          onConfirm={() => revoke.submit(revoking)}
          error={revoke.errors.general ? <Alert>{revoke.errors.general}</Alert> : undefined}
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
  onTransferred: (to: Membership) => void;
}) {
  const { organization } = useSignedIn();
  const { refresh } = useSession();
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const chosen = members.find((m) => m.user_id === target);
  const transfer = useSubmit({
    send: (to: Membership) =>
      api.POST('/v1/organization/transfer_ownership', { body: { user_id: to.user_id } }),
    onSuccess: async (_, to) => {
      setConfirming(false);
      onTransferred(to);
      // Now a super admin: the session says so.
      await refresh();
    },
    invalidates: [queries.members(organization.id).queryKey],
  });

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
          busy={transfer.pending}
          onCancel={() => setConfirming(false)}
          onConfirm={() => transfer.submit(chosen)}
          error={transfer.errors.general ? <Alert>{transfer.errors.general}</Alert> : undefined}
        >
          {chosen.name} becomes the owner of {organization.name} and you become a super admin. Only the new
          owner can transfer it back.
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
