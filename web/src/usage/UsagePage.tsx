import { Card, ChartIcon, EmptyState, Page } from '../ui';

export function UsagePage() {
  return (
    <Page title="Usage" description="What this organization has used, per meter and period.">
      <Card>
        <EmptyState icon={<ChartIcon />} title="Usage meters arrive here">
          Compute hours, storage and other metered usage will be charted here as your services report it.
        </EmptyState>
      </Card>
    </Page>
  );
}
