import { Link } from 'react-router';
import { buttonClass, Card, EmptyState, Page } from '../ui';

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <Card>
        <EmptyState
          title="There is nothing at this address"
          actions={
            <Link className={buttonClass('secondary')} to="/">
              Back to overview
            </Link>
          }
        >
          The link may be old, or the page may have moved.
        </EmptyState>
      </Card>
    </Page>
  );
}
