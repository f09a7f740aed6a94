import { QueryClientProvider } from '@tanstack/react-query';
import { type ComponentType, type ReactNode, useState } from 'react';
import { BrowserRouter, Outlet, Route, Routes } from 'react-router';
import type { Permissions } from './api/permissions';
import { createQueryClient } from './api/queries';
import { SessionProvider, useSignedIn } from './api/session';
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

/**
 * A frame shared by several pages. Without the pages' permission it is not drawn (it would ask for
 * what the role may not read): each page's own guard explains, under the page's own title.
 */
function Frame({ layout: Layout, needs }: { layout: ComponentType; needs: keyof Permissions | undefined }) {
  const { permissions } = useSignedIn();
  return needs && !permissions[needs] ? <Outlet /> : <Layout />;
}

/** The pages as routes, those that share a frame nested in one layout route, which stays mounted. */
function routeTree(pages: readonly PageRoute[]): ReactNode[] {
  const frames = new Map<ComponentType, PageRoute[]>();
  const tree: ReactNode[] = [];
  for (const page of pages) {
    if (!page.layout) {
      tree.push(route(page));
      continue;
    }
    const framed = frames.get(page.layout);
    if (framed) framed.push(page);
    else frames.set(page.layout, [page]);
  }
  for (const [layout, framed] of frames)
    tree.push(
      <Route key={`frame:${framed[0]?.path}`} element={<Frame layout={layout} needs={framed[0]?.needs} />}>
        {framed.map(route)}
      </Route>,
    );
  return tree;
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <Routes>
            {routes.filter((page) => page.public).map(route)}
            <Route element={<AppShell />}>{routeTree(routes.filter((page) => !page.public))}</Route>
          </Routes>
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
