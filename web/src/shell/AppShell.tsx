import { useEffect, useState } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useSession } from '../api/session';
import { BrandMark } from '../auth/AuthLayout';
import { CreateOrganizationModal } from '../organizations/CreateOrganizationModal';
import { routes } from '../routes';
import { Button, CloseIcon, Loading, MenuIcon } from '../ui';
import { navigationFor } from './nav';
import { OrganizationSwitcher } from './OrganizationSwitcher';
import { ShellContext } from './ShellContext';
import { UserMenu } from './UserMenu';
import './shell.css';

/** The signed-in frame: sidebar (a top bar on narrow screens) and the page. */
export function AppShell() {
  const { state, signedIn } = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [creating, setCreating] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: on every navigation, close the mobile menu and start at the top
  useEffect(() => {
    setMenuOpen(false);
    window.scrollTo(0, 0);
  }, [location.pathname]);

  if (state.status === 'loading') {
    return (
      <div className="full-screen">
        <Loading />
      </div>
    );
  }
  if (!signedIn) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }

  const navigation = navigationFor(routes, signedIn.permissions);
  return (
    <ShellContext.Provider value={{ openCreateOrganization: () => setCreating(true), navigation }}>
      <div className="shell">
        <aside className="sidebar" data-open={menuOpen}>
          <div className="sidebar-inner">
            <div className="sidebar-top">
              <Link to="/" className="sidebar-brand">
                <BrandMark />
                Billfold
              </Link>
              <Button
                variant="ghost"
                size="small"
                className="menu-toggle"
                aria-expanded={menuOpen}
                aria-controls="sidebar-panel"
                onClick={() => setMenuOpen((v) => !v)}
              >
                {menuOpen ? <CloseIcon size={16} /> : <MenuIcon size={16} />}
                Menu
              </Button>
            </div>
            <div className="sidebar-panel" id="sidebar-panel">
              <OrganizationSwitcher />
              <nav className="nav" aria-label="Main">
                {navigation.member.map(({ to, label, icon: Icon }) => (
                  <NavLink key={to} to={to} end={to === '/'} className="nav-link">
                    <Icon size={18} />
                    {label}
                  </NavLink>
                ))}
              </nav>
              {navigation.operator.length > 0 ? (
                <nav className="nav nav-operator" aria-label="Operator">
                  <span className="nav-heading">Operator</span>
                  {navigation.operator.map(({ to, label, icon: Icon }) => (
                    <NavLink key={to} to={to} className="nav-link">
                      <Icon size={18} />
                      {label}
                    </NavLink>
                  ))}
                </nav>
              ) : null}
              <UserMenu />
            </div>
          </div>
        </aside>
        <main className="shell-main">
          {signedIn.organization ? (
            <Outlet key={signedIn.organization.id} />
          ) : (
            <Loading label="No organization yet" />
          )}
        </main>
      </div>
      {creating ? <CreateOrganizationModal onClose={() => setCreating(false)} /> : null}
    </ShellContext.Provider>
  );
}
