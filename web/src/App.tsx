import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { createQueryClient } from './api/queries';
import { SessionProvider } from './api/session';
import { ApiKeysPage } from './api-keys/ApiKeysPage';
import { AuditLogPage } from './audit/AuditLogPage';
import { SignInPage } from './auth/SignInPage';
import { SignUpPage } from './auth/SignUpPage';
import { BillingPage } from './billing/BillingPage';
import { ModifyPlanPage } from './billing/ModifyPlanPage';
import { PlanDetailPage } from './billing/PlanDetailPage';
import { MetricsPage } from './catalog/MetricsPage';
import { PlanEditorPage } from './catalog/PlanEditorPage';
import { PlansPage } from './catalog/PlansPage';
import { CustomerDetailPage } from './customers/CustomerDetailPage';
import { CustomersPage } from './customers/CustomersPage';
import { InvitePage } from './invite/InvitePage';
import { MembersPage } from './members/MembersPage';
import { OverviewPage } from './organizations/OverviewPage';
import { SettingsPage } from './organizations/SettingsPage';
import { AppShell } from './shell/AppShell';
import { NotFoundPage } from './shell/NotFoundPage';
import { RequirePermission } from './shell/RequirePermission';
import { UsagePage } from './usage/UsagePage';
import { WebhooksPage } from './webhooks/WebhooksPage';

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route path="/sign-up" element={<SignUpPage />} />
            <Route path="/invite/:token" element={<InvitePage />} />
            <Route element={<AppShell />}>
              <Route index element={<OverviewPage />} />
              <Route path="members" element={<MembersPage />} />
              <Route
                path="api-keys"
                element={
                  <RequirePermission can="readApiKeys" title="API keys">
                    <ApiKeysPage />
                  </RequirePermission>
                }
              />
              <Route
                path="audit-log"
                element={
                  <RequirePermission can="readAuditLog" title="Audit log">
                    <AuditLogPage />
                  </RequirePermission>
                }
              />
              <Route
                path="webhooks"
                element={
                  <RequirePermission can="readApiKeys" title="Webhooks">
                    <WebhooksPage />
                  </RequirePermission>
                }
              />
              <Route
                path="billing"
                element={
                  <RequirePermission can="readBilling" title="Billing">
                    <BillingPage />
                  </RequirePermission>
                }
              />
              <Route
                path="billing/modify"
                element={
                  <RequirePermission can="readBilling" title="Modify plan">
                    <ModifyPlanPage />
                  </RequirePermission>
                }
              />
              <Route
                path="billing/plans/:planId"
                element={
                  <RequirePermission can="readBilling" title="Plan">
                    <PlanDetailPage />
                  </RequirePermission>
                }
              />
              <Route
                path="usage"
                element={
                  <RequirePermission can="readBilling" title="Usage">
                    <UsagePage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/plans"
                element={
                  <RequirePermission can="operate" title="Plans">
                    <PlansPage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/plans/new"
                element={
                  <RequirePermission can="operate" title="New plan">
                    <PlanEditorPage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/plans/:planId"
                element={
                  <RequirePermission can="operate" title="Plan">
                    <PlanEditorPage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/metrics"
                element={
                  <RequirePermission can="operate" title="Metrics and features">
                    <MetricsPage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/customers/:orgId"
                element={
                  <RequirePermission can="operate" title="Customer">
                    <CustomerDetailPage />
                  </RequirePermission>
                }
              />
              <Route
                path="operator/customers"
                element={
                  <RequirePermission can="operate" title="Customers">
                    <CustomersPage />
                  </RequirePermission>
                }
              />
              <Route path="settings" element={<SettingsPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
