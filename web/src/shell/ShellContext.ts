import { createContext, useContext } from 'react';

export interface ShellActions {
  openCreateOrganization: () => void;
}

export const ShellContext = createContext<ShellActions>({ openCreateOrganization: () => {} });

export const useShell = () => useContext(ShellContext);
