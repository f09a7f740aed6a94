import { useEffect, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useSession } from '../api/session';
import { initials } from '../shared/format';
import { ChevronIcon, LogOutIcon, SettingsIcon } from '../ui';

export function UserMenu() {
  const { signedIn, signOut } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const firstItem = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    firstItem.current?.focus();
    const onDown = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (!signedIn) return null;
  const { user } = signedIn;

  return (
    <div className="user-menu" ref={root}>
      {open ? (
        <div className="user-menu-popover" id={menuId} role="menu" aria-label="Account">
          <button
            ref={firstItem}
            type="button"
            role="menuitem"
            className="menu-item"
            onClick={() => {
              setOpen(false);
              navigate('/settings#account');
            }}
          >
            <SettingsIcon size={16} />
            Password and sessions
          </button>
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            onClick={async () => {
              setOpen(false);
              try {
                await signOut();
              } finally {
                navigate('/sign-in', { replace: true });
              }
            }}
          >
            <LogOutIcon size={16} />
            Sign out
          </button>
        </div>
      ) : null}
      <button
        type="button"
        className="user-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={`Account menu for ${user.name}`}
        onClick={() => setOpen((v) => !v)}
      >
        <span className="avatar" aria-hidden="true">
          {initials(user.name)}
        </span>
        <span className="user-menu-text">
          <span className="user-menu-name">{user.name}</span>
          <span className="user-menu-email">{user.email}</span>
        </span>
        <ChevronIcon size={16} />
      </button>
    </div>
  );
}
