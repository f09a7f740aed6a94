import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { queries } from '../api/queries';
import { Alert, Button } from '../ui';
import {
  CHECKOUT_PENDING_MESSAGE,
  CHECKOUT_STOPPED_MESSAGE,
  CHECKOUT_WAIT_LIMIT_MS,
  checkoutNews,
  checkoutPollDelay,
} from './checkout-outcome';

/** A checkout the Billing frame waits on. */
export interface WatchedCheckout {
  id: string;
  /** The gateway's page, when the checkout was opened in another tab (the Buy plan dialog). */
  url?: string;
  /** Back from the gateway's page, where the person cancelled: asked about once, not waited on. */
  cancelled?: boolean;
}

/**
 * A checkout asked about until it ends, however it was opened: asking applies a payment the webhook
 * has not yet, and once it has ended billing is read again (queries.checkoutOutcome), so the page shows
 * the new plan without a reload. Asked often at first, then less, and not after a quarter of an hour
 * (checkout-outcome.ts); the person may stop waiting at any time, or check again once it has stopped.
 */
export function CheckoutWatch({
  organizationId,
  checkout,
  onDismiss,
}: {
  organizationId: string;
  checkout: WatchedCheckout;
  onDismiss: () => void;
}) {
  const [waitingSince, setWaitingSince] = useState(() => Date.now());
  const outcome = useQuery({
    ...queries.checkoutOutcome(organizationId, checkout.id),
    refetchInterval: (query) =>
      query.state.data?.status === 'open' && !checkout.cancelled
        ? checkoutPollDelay(query.state.dataUpdatedAt - waitingSince)
        : false,
  });
  const session = outcome.data;
  if (outcome.error) return <Alert>{outcome.error.message}</Alert>;
  const news = session ? checkoutNews(session, checkout.cancelled) : undefined;
  if (news) return <Alert tone={news.tone}>{news.message}</Alert>;
  // Back from the gateway: nothing is said until the checkout has been asked about.
  if (!session && !checkout.url) return null;

  const stopWaiting = (
    <Button size="small" onClick={onDismiss}>
      Stop waiting
    </Button>
  );
  if (session && outcome.dataUpdatedAt - waitingSince >= CHECKOUT_WAIT_LIMIT_MS)
    return (
      <Alert tone="warning" title="Still no payment">
        <p>{CHECKOUT_STOPPED_MESSAGE}</p>
        <div className="checkout-watch-actions">
          <Button
            size="small"
            busy={outcome.isFetching}
            onClick={() => {
              setWaitingSince(Date.now());
              void outcome.refetch();
            }}
          >
            Check again
          </Button>
          {stopWaiting}
        </div>
      </Alert>
    );
  if (!checkout.url)
    return (
      <Alert tone="warning">
        <p>{CHECKOUT_PENDING_MESSAGE}</p>
        <div className="checkout-watch-actions">{stopWaiting}</div>
      </Alert>
    );
  return (
    <Alert tone="info" title="Waiting for your payment">
      <p>
        Finish paying on the gateway’s page in the new tab; this page updates when the payment arrives. If no
        tab opened (a popup blocker),{' '}
        <a href={checkout.url} target="_blank" rel="noopener noreferrer">
          open the payment page
        </a>
        .
      </p>
      <div className="checkout-watch-actions">{stopWaiting}</div>
    </Alert>
  );
}
