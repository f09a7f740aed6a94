import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useNavigate } from 'react-router';
import { useSession } from '../api/session';
import { initials } from '../shared/format';
import { ChevronIcon, LogOutIcon, SettingsIcon } from '../ui';

/**
 * The signed-in person and what they can do with their account: Radix's menu button, which moves
 * focus into the menu and through it with the arrow keys, closes on Escape or a press outside, and
 * gives focus back to the button.
 */
export function UserMenu() {
  const { signedIn, signOut } = useSession();
  const navigate = useNavigate();
  if (!signedIn) return null;
  const { user } = signedIn;

  return (
    <div className="user-menu">
      {/* Not modal: the page stays visible to assistive technology while the menu is open. */}
      <DropdownMenu.Root modal={false}>
        <DropdownMenu.Trigger className="user-menu-button">
          <span className="avatar" aria-hidden="true">
            {initials(user.name)}
          </span>
          <span className="user-menu-text">
            <span className="visually-hidden">Account menu for </span>
            <span className="user-menu-name">{user.name}</span>
            <span className="user-menu-email">{user.email}</span>
          </span>
          <ChevronIcon size={16} />
        </DropdownMenu.Trigger>
        <DropdownMenu.Content
          className="user-menu-popover"
          aria-label="Account"
          side="top"
          align="start"
          sideOffset={6}
        >
          <DropdownMenu.Item className="menu-item" onSelect={() => navigate('/settings#account')}>
            <SettingsIcon size={16} />
            Password and sessions
          </DropdownMenu.Item>
          <DropdownMenu.Item
            className="menu-item"
            onSelect={async () => {
              try {
                await signOut();
              } finally {
                navigate('/sign-in', { replace: true });
              }
            }}
          >
            <LogOutIcon size={16} />
            Sign out
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Root>
    </div>
  );
}
