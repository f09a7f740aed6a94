import { api } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges } from '../api/queries';
import { useSignedIn } from '../api/session';

/**
 * Starts a plan's checkout and sends the browser to the gateway's hosted page. A plan that costs
 * nothing needs no payment: it starts at once and `onStarted` is called instead. The gateway's page
 * sends the person back to Billing, or to `returnPath` after saving a card.
 */
export function useCheckout({
  onStarted,
  returnPath,
}: {
  onStarted?: (message: string) => void;
  returnPath?: string;
} = {}) {
  const { organization } = useSignedIn();
  const checkout = useSubmit({
    send: ({ planId }: { planId: string | undefined; planName: string }) =>
      api.POST('/v1/checkout_sessions', {
        body: planId
          ? { plan_id: planId }
          : { mode: 'setup', ...(returnPath ? { return_path: returnPath } : {}) },
      }),
    onSuccess: (session, { planName }) => {
      if (!session.url) return onStarted?.(`You are now on ${planName}.`);
      window.location.assign(session.url);
      // The browser is leaving for the gateway's page: the button spins until it has left.
      return new Promise(() => {});
    },
    invalidates: billingChanges(organization.id),
  });
  return {
    /** A plan's checkout; without a plan, a setup checkout that saves a new card. */
    start: (planId: string | undefined, planName = '') => checkout.submit({ planId, planName }),
    /** The plan whose checkout is starting ('setup' for a card). */
    pending: checkout.sending ? (checkout.sending.planId ?? 'setup') : undefined,
    error: checkout.errors.general,
  };
}
