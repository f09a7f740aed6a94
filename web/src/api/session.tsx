import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo } from 'react';
import {
  ApiError,
  api,
  type MyOrganization,
  onSessionLost,
  type SessionObject,
  setClientSession,
  type User,
  unwrap,
} from './client';
import { type Permissions, permissionsFor } from './permissions';

/**
 * Session state: who is signed in, their CSRF token, their organizations and the one chosen for
 * org-scoped calls (kept in localStorage so a reload or a new tab keeps it).
 */

const ORG_STORAGE_KEY = 'billfold.organization';

type State =
  | { status: 'loading' }
  | { status: 'signed_out' }
  | { status: 'signed_in'; session: SessionObject; organizationId: string | undefined };

export interface SignedIn {
  user: User;
  organizations: MyOrganization[];
  organization: MyOrganization | undefined;
  permissions: Permissions;
}

interface SessionContextValue {
  state: State;
  signedIn: SignedIn | undefined;
  /** Stores a session the API just returned (sign in, sign up). */
  accept: (session: SessionObject, preferOrganizationId?: string) => void;
  /** Reloads the session (after creating an organization or accepting an invite). */
  refresh: (preferOrganizationId?: string) => Promise<void>;
  switchOrganization: (organizationId: string) => void;
  signOut: () => Promise<void>;
  /** Forgets the person here once the server has ended their session (signed out everywhere). */
  signedOut: () => void;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

function readStoredOrg(): string | undefined {
  try {
    return localStorage.getItem(ORG_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function storeOrg(id: string | undefined) {
  try {
    if (id) localStorage.setItem(ORG_STORAGE_KEY, id);
    else localStorage.removeItem(ORG_STORAGE_KEY);
  } catch {
    // Private browsing may refuse storage; the choice then lasts for this tab only.
  }
}

/**
 * The organization to act on: the one asked for, else the one last used in this browser, else the
 * person's first team organization. Everyone has a personal account from sign-up, usually empty; a team
 * organization is one they created or were invited to, where the work is. Of a reseller and its
 * clients, the reseller's own comes first. An operator sees every organization but lands only in one
 * they are a member of. The list comes oldest first.
 */
function chooseOrg(session: SessionObject, prefer: string | undefined): string | undefined {
  const ids = new Set(session.organizations.map((o) => o.id));
  for (const candidate of [prefer, readStoredOrg()]) {
    if (candidate && ids.has(candidate)) return candidate;
  }
  const memberOf = session.organizations.filter((o) => o.role !== null);
  const teams = memberOf.filter((o) => o.kind !== 'personal');
  const team = teams.find((o) => !o.parent_org_id || !ids.has(o.parent_org_id)) ?? teams[0];
  return (team ?? memberOf[0] ?? session.organizations[0])?.id;
}

/** The signed-in state as cached: the session and the organization this tab acts on; null when signed out. */
type Adopted = { session: SessionObject; organizationId: string | undefined } | null;

const SESSION_KEY = ['session'];

/** Takes a session the API returned as this tab's: chooses its organization, which every call then names. */
function adopt(session: SessionObject, prefer: string | undefined): Adopted {
  const organizationId = chooseOrg(session, prefer);
  storeOrg(organizationId);
  setClientSession({ csrfToken: session.csrf_token, organizationId });
  return { session, organizationId };
}

async function readSession(prefer?: string): Promise<Adopted> {
  try {
    return adopt(await unwrap(api.GET('/v1/session')), prefer);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  // The session changes only by what this tab does (sign in, switch, refresh), never by itself.
  const query = useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => readSession(),
    staleTime: Number.POSITIVE_INFINITY,
  });

  const signedOut = useCallback(() => {
    setClientSession({});
    // Someone else may sign in next in this tab: nothing read for this person stays.
    client.removeQueries({ predicate: (cached) => cached.queryKey[0] !== SESSION_KEY[0] });
    client.setQueryData<Adopted>(SESSION_KEY, null);
  }, [client]);

  const accept = useCallback(
    (session: SessionObject, prefer?: string) => client.setQueryData(SESSION_KEY, adopt(session, prefer)),
    [client],
  );

  const refresh = useCallback(
    async (prefer?: string) => {
      const next = await client.fetchQuery({
        queryKey: SESSION_KEY,
        queryFn: () => readSession(prefer),
        staleTime: 0,
      });
      if (!next) signedOut();
    },
    [client, signedOut],
  );

  useEffect(() => {
    onSessionLost(signedOut);
    return () => onSessionLost(undefined);
  }, [signedOut]);

  const switchOrganization = useCallback(
    (organizationId: string) => {
      const current = client.getQueryData<Adopted>(SESSION_KEY);
      if (current) client.setQueryData(SESSION_KEY, adopt(current.session, organizationId));
    },
    [client],
  );

  const signOut = useCallback(async () => {
    try {
      await unwrap(api.DELETE('/v1/session'));
    } finally {
      signedOut();
    }
  }, [signedOut]);

  const { data, isPending } = query;
  const state = useMemo<State>(
    () =>
      data
        ? { status: 'signed_in', ...data }
        : isPending
          ? { status: 'loading' }
          : // Signed out, or the API could not say who is signed in: either way, sign in.
            { status: 'signed_out' },
    [data, isPending],
  );

  const signedIn = useMemo<SignedIn | undefined>(() => {
    if (state.status !== 'signed_in') return undefined;
    const { session, organizationId } = state;
    const organization = session.organizations.find((o) => o.id === organizationId);
    return {
      user: session.user,
      organizations: session.organizations,
      organization,
      permissions: permissionsFor(organization, session.user.is_operator),
    };
  }, [state]);

  const value = useMemo(
    () => ({ state, signedIn, accept, refresh, switchOrganization, signOut, signedOut }),
    [state, signedIn, accept, refresh, switchOrganization, signOut, signedOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** For pages inside the signed-in shell, which renders only with a session. */
export function useSignedIn(): SignedIn & { organization: MyOrganization } {
  const { signedIn } = useSession();
  if (!signedIn?.organization) throw new Error('useSignedIn outside the signed-in shell');
  return { ...signedIn, organization: signedIn.organization };
}
