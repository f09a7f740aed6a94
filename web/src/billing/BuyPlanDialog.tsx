import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type ApiError, api, type CheckoutQuote, type MyOrganization, type OfferedPlan } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
import { useSession, useSignedIn } from '../api/session';
import { BillingLocationFields } from '../shared/BillingLocationFields';
import { countryName } from '../shared/countries';
import { gatewayName } from '../shared/gateways';
import { formatAmount } from '../shared/money';
import { Alert, Button, buttonClass, Input, Loading, Modal, SegmentedControl, Select } from '../ui';
import type { WatchedCheckout } from './CheckoutWatch';
import { formatDayIn, planByCode, purchaseSentence } from './purchase';

/**
 * Buying a plan, as a marketing site's plans link starts it (`/billing?buy=team`, after sign-up): for
 * whom (yourself or an organization, created here if need be, with its billing customer), then what the
 * checkout takes now and after, and "Pay now" on the gateway's page in a new tab. This page keeps
 * watching that checkout and reads billing again once it is paid.
 *
 * The address carries the progress: `buy` the plan's code, `for` the organization it is bought for once
 * that organization has a billing customer and is the one the session acts on (switching organizations
 * draws the page anew, and the dialog carries on from the address).
 */

/**
 * "Buy plan" in the Billing frame's actions, without a plan chosen: an organization with a
 * subscription in force changes it on Modify plan (which credits the unused days); one without picks a
 * plan under Plans. The frame shows it once there is a billing customer, since plans are offered to it.
 */
export function BuyPlanButton({ organizationId }: { organizationId: string }) {
  const subscriptions = useQuery(queries.subscriptions(organizationId));
  const subscribed = subscriptions.data?.data.some((s) => s.status !== 'cancelled') ?? false;
  return (
    <Link className={buttonClass('primary')} to={subscribed ? '/billing/modify' : '/billing/plans'}>
      Buy plan
    </Link>
  );
}

/**
 * The dialog while `?buy=` names a plan. The checkout it opens is handed to the Billing frame, which
 * watches it (CheckoutWatch) and keeps it while the person moves from tab to tab.
 */
export function BuyPlan({ onCheckoutOpened }: { onCheckoutOpened: (checkout: WatchedCheckout) => void }) {
  const { organization } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const code = params.get('buy');
  const readyFor = params.get('for');
  const close = () => setParams({}, { replace: true });
  if (code === null) return null;
  return readyFor === organization.id ? (
    <PayStep
      code={code}
      onClose={close}
      onOpened={(opened) => {
        onCheckoutOpened(opened);
        close();
      }}
    />
  ) : (
    <WhoStep code={code} onClose={close} />
  );
}

type Whom = 'self' | 'organization';
const NEW_ORGANIZATION = 'new';

/** Organizations whose billing the person may manage (owners and super admins), besides their own account. */
const buyableOrganizations = (organizations: MyOrganization[]) =>
  organizations.filter((o) => o.kind === 'organization' && (o.role === 'owner' || o.role === 'super_admin'));

/**
 * For whom: the person's own account, or an organization (one they own, or a new one: its name,
 * country and postal code). An organization without a billing customer gets one from these, with the
 * state where tax can be the state's (US, India) and a phone in India, which Cashfree requires.
 */
function WhoStep({ code, onClose }: { code: string; onClose: () => void }) {
  const { signedIn, refresh, switchOrganization } = useSession();
  const [, setParams] = useSearchParams();
  const user = signedIn?.user;
  const organizations = signedIn?.organizations ?? [];
  const personal = organizations.find((o) => o.kind === 'personal' && o.role === 'owner');
  const owned = buyableOrganizations(organizations);
  const current = signedIn?.organization;
  const [whom, setWhom] = useState<Whom>(current?.kind === 'organization' ? 'organization' : 'self');
  const [chosenOrg, setChosenOrg] = useState(
    current && owned.some((o) => o.id === current.id) ? current.id : NEW_ORGANIZATION,
  );
  const existing =
    whom === 'self'
      ? personal
      : chosenOrg === NEW_ORGANIZATION
        ? undefined
        : owned.find((o) => o.id === chosenOrg);
  const creating = whom === 'organization' && existing === undefined;
  const [name, setName] = useState('');
  const [country, setCountry] = useState(current?.country ?? 'US');
  const [postalCode, setPostalCode] = useState('');
  const [state, setState] = useState('');
  const [phone, setPhone] = useState('');
  // An organization made here whose billing customer was then refused is not made twice.
  const [created, setCreated] = useState<{ id: string; name: string } | undefined>();
  const formId = useId();

  const customer = useQuery({
    ...queries.billingCustomer(existing?.id ?? ''),
    enabled: existing !== undefined,
  });
  const billedCountry = existing?.country ?? country;
  const needsCustomer = creating || customer.data === null;
  const asksState = needsCustomer && (billedCountry === 'US' || billedCountry === 'IN');
  const asksPhone = needsCustomer && billedCountry === 'IN';

  /** The session acts on the organization, which the dialog then carries on for. */
  const proceed = async (orgId: string) => {
    setParams({ buy: code, for: orgId }, { replace: true });
    if (signedIn?.organizations.some((o) => o.id === orgId)) switchOrganization(orgId);
    else await refresh(orgId);
  };

  const makeCustomer = useSubmit({
    send: ({ orgId, body }: { orgId: string; body: Parameters<typeof customerBody>[0] }) =>
      api.POST('/v1/billing_customer', {
        params: { header: { 'billfold-organization': orgId } },
        body: customerBody(body),
      }),
    fields: ['state', 'phone', 'postal_code', 'country'],
    onSuccess: (_customer, { orgId }) => proceed(orgId),
    invalidates: (_customer, { orgId }) => [[orgId, 'billing_customer'], ...billingChanges(orgId)],
  });
  const makeOrganization = useSubmit({
    send: (body: { name: string; country: string; postal_code: string }) =>
      api.POST('/v1/organizations', { body }),
    fields: ['name', 'country', 'postal_code'],
    onSuccess: (org) => {
      setCreated({ id: org.id, name: org.name });
      makeCustomer.submit({
        orgId: org.id,
        body: {
          name: org.name,
          email: user?.email ?? '',
          country,
          postal_code: org.postal_code,
          state,
          phone,
        },
      });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = makeOrganization.check({
      name: creating && !created && !name.trim() && 'Enter the organization’s name',
      postal_code: creating && !created && postalCode.trim().length < 2 && 'Enter the postal or ZIP code',
    });
    const customerOk = makeCustomer.check({
      state: asksState && !state.trim() && 'Enter the state',
      phone:
        asksPhone && !phone.trim() && 'Enter a phone number with the country code, such as +91 98123 45678',
    });
    if (!ok || !customerOk || !user) return;
    if (creating && created) {
      makeCustomer.submit({
        orgId: created.id,
        body: {
          name: created.name,
          email: user.email,
          country,
          postal_code: postalCode.trim(),
          state,
          phone,
        },
      });
    } else if (creating) {
      makeOrganization.submit({ name: name.trim(), country, postal_code: postalCode.trim() });
    } else if (existing && customer.data === null) {
      makeCustomer.submit({
        orgId: existing.id,
        body: {
          name: existing.kind === 'personal' ? user.name : existing.name,
          email: user.email,
          country: existing.country,
          postal_code: existing.postal_code,
          state,
          phone,
        },
      });
    } else if (existing) void proceed(existing.id);
  };

  const busy = makeOrganization.pending || makeCustomer.pending;
  const fieldError = (field: string) => makeOrganization.field(field) ?? makeCustomer.field(field);
  const general = makeOrganization.errors.general ?? makeCustomer.errors.general ?? customer.error?.message;

  return (
    <Modal
      title="Buy plan"
      description="Choose who the plan is for. You see the price, with any tax, before paying."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            form={formId}
            variant="primary"
            busy={busy}
            disabled={existing !== undefined && customer.isPending}
          >
            {busy ? 'Preparing…' : 'Continue'}
          </Button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {general ? (
          <div className="span-2">
            <Alert>{general}</Alert>
          </div>
        ) : null}
        <div className="span-2">
          <SegmentedControl
            label="Who is this plan for?"
            value={whom}
            segments={[
              { value: 'self', label: 'Myself' },
              { value: 'organization', label: 'An organization' },
            ]}
            onChange={setWhom}
          />
        </div>
        {whom === 'organization' && owned.length > 0 ? (
          <Select
            className="span-2"
            label="Organization"
            value={chosenOrg}
            onChange={(e) => setChosenOrg(e.target.value)}
            options={[
              ...owned.map((o) => ({ value: o.id, label: o.name })),
              { value: NEW_ORGANIZATION, label: 'Create a new organization' },
            ]}
          />
        ) : null}
        {creating ? (
          <>
            <Input
              className="span-2"
              label="Organization name"
              autoComplete="organization"
              value={created?.name ?? name}
              disabled={created !== undefined}
              onChange={(e) => setName(e.target.value)}
              error={fieldError('name')}
            />
            <BillingLocationFields
              country={country}
              postalCode={postalCode}
              onCountry={setCountry}
              onPostalCode={setPostalCode}
              disabled={created !== undefined}
              errors={{ country: fieldError('country'), postal_code: fieldError('postal_code') }}
            />
          </>
        ) : existing ? (
          <p className="span-2 muted">
            {existing.kind === 'personal' ? 'Your account' : existing.name} is billed in{' '}
            {countryName(existing.country)}
            {existing.postal_code ? `, ${existing.postal_code}` : ''}.
            {customer.data ? ' Its billing details are on file.' : ''}
          </p>
        ) : null}
        {asksState ? (
          <Input
            label="State"
            labelHint="for tax"
            autoComplete="address-level1"
            value={state}
            onChange={(e) => setState(e.target.value)}
            error={fieldError('state')}
          />
        ) : null}
        {asksPhone ? (
          <Input
            label="Phone"
            type="tel"
            autoComplete="tel"
            hint="Cashfree asks for it with every payment"
            placeholder="+91 98123 45678"
            value={phone}
            onChange={(e) => setPhone(e.target.value)}
            error={fieldError('phone')}
          />
        ) : null}
        {existing && customer.isPending ? (
          <div className="span-2">
            <Loading label="Reading billing details…" />
          </div>
        ) : null}
      </form>
    </Modal>
  );
}

/** A new billing customer from what the dialog asked; the street can follow on the Billing page. */
function customerBody(values: {
  name: string;
  email: string;
  country: string;
  postal_code: string;
  state: string;
  phone: string;
}) {
  return {
    name: values.name,
    email: values.email,
    country: values.country,
    postal_code: values.postal_code,
    state: values.state.trim(),
    phone: values.phone.trim(),
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  };
}

/** What buying costs, now and after, and "Pay now" on the gateway's page in a new tab. */
function PayStep({
  code,
  onClose,
  onOpened,
}: {
  code: string;
  onClose: () => void;
  onOpened: (checkout: WatchedCheckout) => void;
}) {
  const { organization } = useSignedIn();
  const plans = useQuery(queries.plans(organization.id));
  // The plan already in force is not bought again.
  const choices = (plans.data?.data ?? []).filter((p) => !p.current);
  const [chosenId, setChosenId] = useState<string | undefined>();
  const named = planByCode(choices, code);
  // The link may name the plan already in force, which is left out of the choices but is offered.
  const current = named
    ? undefined
    : planByCode(
        (plans.data?.data ?? []).filter((p) => p.current),
        code,
      );
  const plan = choices.find((p) => p.id === chosenId) ?? named;
  const quote = useQuery({
    ...queries.checkoutQuote(organization.id, plan?.id ?? ''),
    enabled: plan !== undefined,
  });
  const [started, setStarted] = useState<string | undefined>();
  const pay = useSubmit({
    send: ({ planId }: { planId: string; tab: Window | null }) =>
      api.POST('/v1/checkout_sessions', { body: { plan_id: planId } }),
    onSuccess: (session, { tab }) => {
      if (!session.url) {
        tab?.close();
        setStarted(`You are now on ${plan?.name ?? 'the plan'}.`);
        return;
      }
      if (tab) tab.location.href = session.url;
      onOpened({ id: session.id, url: session.url });
    },
    invalidates: billingChanges(organization.id),
  });
  const payNow = () => {
    if (!plan) return;
    // Opened now, while the click still counts as the person's, so no popup blocker stops it; the
    // gateway's address follows once the checkout exists. It cannot reach back into this page.
    const tab = window.open('', '_blank');
    if (tab) tab.opener = null;
    pay.submit({ planId: plan.id, tab }, { onError: () => tab?.close() });
  };

  let body: ReactNode;
  if (plans.isPending) body = <Loading label="Finding the plan…" />;
  else if (plans.error) body = <Alert>{plans.error.message}</Alert>;
  else if (started) body = <Alert tone="success">{started}</Alert>;
  else
    body = (
      <div className="stack">
        {named ? null : current ? (
          <Alert tone="info">
            {`${current.name} is already ${organization.kind === 'personal' ? 'your' : `${organization.name}’s`} current plan${choices.length ? '; to change plans, choose another.' : '.'}`}
          </Alert>
        ) : (
          <Alert tone="info">
            {`The plan “${code}” is not offered to ${organization.name}${choices.length ? '; choose one of its plans.' : '.'}`}
          </Alert>
        )}
        {choices.length > 0 ? (
          <Select
            label="Plan"
            value={plan?.id ?? ''}
            onChange={(e) => setChosenId(e.target.value || undefined)}
            options={[
              ...(plan ? [] : [{ value: '', label: 'Choose a plan' }]),
              ...choices.map((p) => ({ value: p.id, label: `${p.name} (${p.code})` })),
            ]}
          />
        ) : null}
        {plan ? <Quote organizationName={organization.name} plan={plan} quote={quote} /> : null}
        {pay.errors.general ? <Alert>{pay.errors.general}</Alert> : null}
      </div>
    );

  const quoted = quote.data !== undefined && !started;
  return (
    <Modal
      title={plan ? `Buy ${plan.name}` : 'Buy plan'}
      description={`For ${organization.kind === 'personal' ? 'your own account' : organization.name}.`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{started ? 'Close' : 'Cancel'}</Button>
          {quoted ? (
            <Button variant="primary" busy={pay.pending} onClick={payNow}>
              {quote.data.trialing
                ? 'Start free trial'
                : quote.data.amount_due > 0
                  ? 'Pay now'
                  : 'Start plan'}
            </Button>
          ) : null}
        </>
      }
    >
      {body}
    </Modal>
  );
}

/** The quote in a sentence, the tax beside it wherever there is tax, and the gateway that takes it. */
function Quote({
  organizationName,
  plan,
  quote,
}: {
  organizationName: string;
  plan: OfferedPlan;
  quote: UseQueryResult<CheckoutQuote, ApiError>;
}) {
  if (quote.isPending) return <Loading label="Working out the price…" />;
  if (quote.error?.code === 'subscription.use_modify_plan')
    return (
      <div className="stack">
        <p>
          {organizationName} pays for a plan already. Change to {plan.name} with Modify plan: it credits the
          unused days and shows the exact amount before anything is charged.
        </p>
        <Link className={buttonClass('secondary')} to="/billing/modify">
          Modify plan
        </Link>
      </div>
    );
  if (quote.error) return <Alert>{quote.error.message}</Alert>;
  const q = quote.data;
  const money = (amount: number) => formatAmount(amount, q.currency);
  const day = (iso: string) => formatDayIn(iso, q.time_zone);
  const { name: gateway, live, country } = q.gateway;
  return (
    <div className="stack">
      <p className="buy-plan-summary" data-testid="buy-plan-summary">
        {purchaseSentence(q)}
      </p>
      {q.tax > 0 || q.recurring.tax > 0 ? (
        <table className="change-summary" aria-label="Price and tax">
          <tbody>
            {q.lines.map((line) => (
              <tr key={line.description}>
                <th scope="row">{line.description}</th>
                <td className="num">{money(line.amount)}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">Tax</th>
              <td className="num">{money(q.tax)}</td>
            </tr>
            {q.credit_applied > 0 ? (
              <tr>
                <th scope="row">Paid from your credit balance</th>
                <td className="num">{money(-q.credit_applied)}</td>
              </tr>
            ) : null}
            <tr className="change-summary-total">
              <th scope="row">Due now</th>
              <td className="num">{money(q.amount_due)}</td>
            </tr>
            <tr>
              <th scope="row">
                Each {q.recurring.interval.replace('_', ' ')} from {day(q.recurring.from)}:{' '}
                {money(q.recurring.subtotal)} plus {money(q.recurring.tax)} tax
              </th>
              <td className="num">{money(q.recurring.total)}</td>
            </tr>
          </tbody>
        </table>
      ) : q.credit_applied > 0 ? (
        <p className="muted">
          {money(q.credit_applied)} of the {money(q.total)} is paid from your credit balance.
        </p>
      ) : null}
      {gateway === 'test' ? (
        <Alert tone="info" title="Test mode">
          {`This payment goes to the test gateway and no money moves. Live, this customer would pay through ${gatewayName(live)}, the gateway for its billing country, ${countryName(country)}.`}
        </Alert>
      ) : (
        <p className="muted">
          {`You pay on ${gatewayName(gateway)}’s page, which opens in a new tab: customers billed in ${countryName(country)} pay through ${gatewayName(gateway)}.`}
        </p>
      )}
    </div>
  );
}
