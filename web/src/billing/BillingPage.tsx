import { useSignedIn } from '../api/session';
import { Badge, Card, CardIcon, EmptyState, Page } from '../ui';

export function BillingPage() {
  const { permissions } = useSignedIn();
  return (
    <Page
      title="Billing"
      description="Your plan, invoices and payment methods."
      actions={permissions.manage ? undefined : <Badge>Read-only for your role</Badge>}
    >
      <Card>
        <EmptyState icon={<CardIcon />} title="Plans and invoices arrive here">
          Once billing is switched on for this organization, its subscription, upcoming charges and past
          invoices will be listed on this page.
        </EmptyState>
      </Card>
    </Page>
  );
}
