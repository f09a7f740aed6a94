import { useState } from 'react';
import { api, toApiError, unwrap } from '../api/client';

/**
 * Starts a plan's checkout and sends the browser to the gateway's hosted page. A plan that costs
 * nothing needs no payment: it starts at once and `onStarted` is called instead.
 */
export function useCheckout(onStarted: (message: string) => void) {
  const [pending, setPending] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  /** A plan's checkout; without a plan, a setup checkout that saves a new card. */
  const start = async (planId: string | undefined, planName = '') => {
    setPending(planId ?? 'setup');
    setError(undefined);
    try {
      const session = await unwrap(
        api.POST('/v1/checkout_sessions', { body: planId ? { plan_id: planId } : { mode: 'setup' } }),
      );
      if (session.url) {
        window.location.assign(session.url);
        return;
      }
      onStarted(`You are now on ${planName}.`);
      setPending(undefined);
    } catch (e) {
      setError(toApiError(e).message);
      setPending(undefined);
    }
  };
  return { start, pending, error };
}
