import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
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
  /** Ends every session of the person, in every browser, this one included. */
  signOutEverywhere: () => Promise<void>;
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

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const accept = useCallback((session: SessionObject, prefer?: string) => {
    const organizationId = chooseOrg(session, prefer);
    storeOrg(organizationId);
    setClientSession({ csrfToken: session.csrf_token, organizationId });
    setState({ status: 'signed_in', session, organizationId });
  }, []);

  const signedOut = useCallback(() => {
    setClientSession({});
    setState({ status: 'signed_out' });
  }, []);

  const refresh = useCallback(
    async (prefer?: string) => {
      try {
        accept(await unwrap(api.GET('/v1/session')), prefer);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) signedOut();
        else throw error;
      }
    },
    [accept, signedOut],
  );

  useEffect(() => {
    onSessionLost(signedOut);
    refresh().catch(() => setState({ status: 'signed_out' }));
    return () => onSessionLost(undefined);
  }, [refresh, signedOut]);

  const switchOrganization = useCallback((organizationId: string) => {
    setState((previous) => {
      if (previous.status !== 'signed_in') return previous;
      storeOrg(organizationId);
      setClientSession({ csrfToken: previous.session.csrf_token, organizationId });
      return { ...previous, organizationId };
    });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await unwrap(api.DELETE('/v1/session'));
    } finally {
      signedOut();
    }
  }, [signedOut]);

  const signOutEverywhere = useCallback(async () => {
    // Only once the server has ended the sessions: if it refused, this one is still signed in.
    await unwrap(api.DELETE('/v1/sessions'));
    signedOut();
  }, [signedOut]);

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
    () => ({ state, signedIn, accept, refresh, switchOrganization, signOut, signOutEverywhere }),
    [state, signedIn, accept, refresh, switchOrganization, signOut, signOutEverywhere],
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
