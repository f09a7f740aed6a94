import { createContext, useContext } from 'react';
import type { Navigation } from './nav';

export interface ShellActions {
  openCreateOrganization: () => void;
  /** The navigation the signed-in person sees (the Overview's quick links are its member pages). */
  navigation: Navigation;
}

export const ShellContext = createContext<ShellActions>({
  openCreateOrganization: () => {},
  navigation: { member: [], operator: [] },
});

export const useShell = () => useContext(ShellContext);
