import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { createQueryClient } from './api/queries';
import { SessionProvider } from './api/session';
import { routes } from './routes';
import { AppShell } from './shell/AppShell';
import type { PageRoute } from './shell/nav';
import { RequirePermission } from './shell/RequirePermission';

const route = ({ path, page: Page, title, needs }: PageRoute) => (
  <Route
    key={path}
    path={path}
    element={
      needs ? (
        <RequirePermission can={needs} title={title}>
          <Page />
        </RequirePermission>
      ) : (
        <Page />
      )
    }
  />
);

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <Routes>
            {routes.filter((page) => page.public).map(route)}
            <Route element={<AppShell />}>{routes.filter((page) => !page.public).map(route)}</Route>
          </Routes>
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
