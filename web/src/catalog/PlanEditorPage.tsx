import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type Feature, type Metric, type Plan, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useApi } from '../api/useApi';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { intervalOptions } from '../shared/plans';
import { Alert, Badge, Button, buttonClass, Card, ConfirmDialog, Input, Loading, Page, Select } from '../ui';
import { AudiencePicker } from './AudiencePicker';
import { ChargesEditor } from './ChargesEditor';
import { LimitsEditor } from './LimitsEditor';
import { PricePreview } from './PricePreview';
import {
  audienceIds,
  type DraftProblem,
  draftFrom,
  emptyPlan,
  type PlanDraft,
  pricingBody,
} from './plan-draft';
import './catalog.css';

const currencies = ['USD', 'INR', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'SGD'].map((c) => ({
  value: c,
  label: c,
}));

/** Creates a plan, or edits one: details in place, prices and limits as a new version. */
export function PlanEditorPage() {
  const { planId } = useParams();
  const creating = planId === undefined;
  const catalog = useApi(async () => {
    const [features, metrics, plan] = await Promise.all([
      allPages(
        (query) => api.GET('/v1/operator/features', { params: { query } }),
        (f) => f.code,
      ),
      allPages(
        (query) => api.GET('/v1/operator/metrics', { params: { query } }),
        (m) => m.code,
      ),
      planId
        ? unwrap(api.GET('/v1/operator/plans/{plan_id}', { params: { path: { plan_id: planId } } }))
        : undefined,
    ]);
    return { features: features.data, metrics: metrics.data, plan };
  }, [planId]);

  if (catalog.loading && !catalog.data) return <Loading />;
  if (catalog.error || !catalog.data) {
    return (
      <Page title={creating ? 'New plan' : 'Plan'}>
        <Alert>{catalog.error?.message ?? 'No such plan'}</Alert>
      </Page>
    );
  }
  return (
    <PlanEditor
      key={catalog.data.plan?.version.id ?? 'new'}
      plan={catalog.data.plan}
      features={catalog.data.features}
      metrics={catalog.data.metrics}
      onSaved={(plan) => catalog.setData((d) => (d ? { ...d, plan } : d))}
    />
  );
}

function PlanEditor({
  plan,
  features,
  metrics,
  onSaved,
}: {
  plan: Plan | undefined;
  features: Feature[];
  metrics: Metric[];
  onSaved: (plan: Plan) => void;
}) {
  const navigate = useNavigate();
  const original = plan ? draftFrom(plan) : emptyPlan;
  const [draft, setDraft] = useState<PlanDraft>(original);
  const [problem, setProblem] = useState<DraftProblem | undefined>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [statusError, setStatusError] = useState<string | undefined>();
  const set =
    <K extends keyof PlanDraft>(field: K) =>
    (value: PlanDraft[K]) =>
      setDraft((d) => ({ ...d, [field]: value }));
  const errorAt = (param: string) => (problem?.param === param ? problem.message : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    setNotice(undefined);
    if (!draft.code.trim())
      return setProblem({ param: 'code', message: 'Enter a code such as team_monthly' });
    if (!draft.name.trim()) return setProblem({ param: 'name', message: 'Enter a name' });
    const pricing = pricingBody(draft);
    if ('problem' in pricing) return setProblem(pricing.problem);
    const details = {
      name: draft.name.trim(),
      description: draft.description.trim(),
      environment: draft.environment,
      visibility: draft.visibility,
      audience_org_ids: draft.visibility === 'restricted' ? audienceIds(draft.audience) : [],
      is_default: draft.is_default,
    };
    setBusy(true);
    try {
      if (!plan) {
        const created = await unwrap(
          api.POST('/v1/operator/plans', {
            body: {
              code: draft.code.trim(),
              currency: draft.currency,
              interval: draft.interval,
              ...details,
              ...(pricing.body as object),
            } as never,
          }),
        );
        navigate(`/operator/plans/${created.id}`, { replace: true });
        return;
      }
      // Send only what changed: an unchanged price must not publish a version.
      const before = pricingBody(original);
      const repriced = 'body' in before && JSON.stringify(before.body) !== JSON.stringify(pricing.body);
      const changedDetails = Object.fromEntries(
        Object.entries(details).filter(([key, value]) => {
          const was =
            key === 'audience_org_ids' ? audienceIds(original.audience) : original[key as keyof PlanDraft];
          return JSON.stringify(was) !== JSON.stringify(value);
        }),
      );
      if (!repriced && Object.keys(changedDetails).length === 0) {
        setNotice('Nothing changed.');
        return;
      }
      const saved = await unwrap(
        api.POST('/v1/operator/plans/{plan_id}', {
          params: { path: { plan_id: plan.id } },
          body: { ...changedDetails, ...(repriced ? pricing.body : {}) } as never,
        }),
      );
      onSaved(saved);
      setNotice(
        repriced
          ? `Published version ${saved.version.version}. New subscribers get it; existing subscribers stay on theirs until moved.`
          : 'Saved.',
      );
    } catch (error) {
      const e = toApiError(error);
      setProblem({ param: e.param ?? '', message: e.message.replace(/^[\w.]+: /, '') });
    } finally {
      setBusy(false);
    }
  };

  const setDisabled = async (disabled: boolean) => {
    if (!plan) return;
    setStatusError(undefined);
    try {
      const path = disabled ? '/v1/operator/plans/{plan_id}/disable' : '/v1/operator/plans/{plan_id}/enable';
      onSaved(await unwrap(api.POST(path, { params: { path: { plan_id: plan.id } } })));
      setConfirmDisable(false);
    } catch (error) {
      setStatusError(toApiError(error).message);
      setConfirmDisable(false);
    }
  };

  const known = new Set([
    'code',
    'name',
    'description',
    'currency',
    'interval',
    'environment',
    'visibility',
    'audience_org_ids',
    'base_price',
    'trial_days',
    'fee_timing',
    'minimum_commitment',
  ]);
  const shownInline = problem && (known.has(problem.param) || /^(limits|charges)\./.test(problem.param));

  return (
    <Page
      title={plan ? plan.name : 'New plan'}
      description={
        plan ? (
          <span className="badge-row">
            <code>{plan.code}</code> · version {plan.version.version} ·{' '}
            {plan.disabled ? <Badge tone="danger">Disabled</Badge> : <Badge tone="success">Active</Badge>}
            {plan.is_default ? <Badge tone="accent">Default</Badge> : null}
          </span>
        ) : (
          'A plan customers can choose: its fee, limits and usage prices.'
        )
      }
      actions={
        <>
          <Link className={buttonClass('secondary')} to="/operator/plans">
            All plans
          </Link>
          {plan ? (
            plan.disabled ? (
              <Button onClick={() => setDisabled(false)}>Enable plan</Button>
            ) : (
              <Button variant="danger" onClick={() => setConfirmDisable(true)}>
                Disable plan
              </Button>
            )
          ) : null}
        </>
      }
    >
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {statusError ? <Alert>{statusError}</Alert> : null}
      <form className="plan-form" onSubmit={submit} noValidate>
        <Card title="Details" description="Change in place: subscribers see the new name and description.">
          <div className="editor-grid editor-grid-2">
            <Input
              label="Code"
              value={draft.code}
              disabled={!!plan}
              hint={plan ? 'Codes never change' : 'Lowercase, for integrations: team_monthly'}
              onChange={(e) => set('code')(e.target.value)}
              error={errorAt('code')}
            />
            <Input
              label="Name"
              value={draft.name}
              onChange={(e) => set('name')(e.target.value)}
              error={errorAt('name')}
            />
            <Input
              className="span-2"
              label="Description"
              value={draft.description}
              onChange={(e) => set('description')(e.target.value)}
              error={errorAt('description')}
            />
            <Select
              label="Environment"
              value={draft.environment}
              onChange={(e) => set('environment')(e.target.value as PlanDraft['environment'])}
              options={[
                { value: 'any', label: 'Any' },
                { value: 'production', label: 'Production' },
                { value: 'staging', label: 'Staging' },
              ]}
            />
            <Select
              label="Offered to"
              value={draft.visibility}
              onChange={(e) => set('visibility')(e.target.value as PlanDraft['visibility'])}
              options={[
                { value: 'public', label: 'Every organization' },
                { value: 'restricted', label: 'Named organizations only' },
              ]}
            />
            {draft.visibility === 'restricted' ? (
              <AudiencePicker
                ids={audienceIds(draft.audience)}
                onChange={(ids) => set('audience')(ids.join('\n'))}
                error={errorAt('audience_org_ids')}
              />
            ) : null}
            <label className="checkbox span-2">
              <input
                type="checkbox"
                checked={draft.is_default}
                onChange={(e) => set('is_default')(e.target.checked)}
              />
              Default plan: new customers start on it (it must cost nothing)
            </label>
          </div>
        </Card>

        <Card
          title="Price"
          description={
            plan
              ? `Prices, trial and limits are version ${plan.version.version}. Changing them publishes version ${plan.version.version + 1}; subscribers keep theirs until moved.`
              : 'The fee per interval, in major units (49 or 49.99).'
          }
        >
          <div className="editor-grid editor-grid-4">
            <Select
              label="Currency"
              value={draft.currency}
              disabled={!!plan}
              onChange={(e) => set('currency')(e.target.value)}
              options={currencies}
              error={errorAt('currency')}
            />
            <Select
              label="Interval"
              value={draft.interval}
              disabled={!!plan}
              onChange={(e) => set('interval')(e.target.value as PlanDraft['interval'])}
              options={intervalOptions}
            />
            <Input
              label="Base price"
              inputMode="decimal"
              value={draft.base_price}
              onChange={(e) => set('base_price')(e.target.value)}
              error={errorAt('base_price')}
            />
            <Input
              label="Trial days"
              inputMode="numeric"
              value={draft.trial_days}
              onChange={(e) => set('trial_days')(e.target.value)}
              error={errorAt('trial_days')}
            />
            <Select
              label="Fee billed"
              className="span-wide"
              value={draft.fee_timing}
              onChange={(e) => set('fee_timing')(e.target.value as PlanDraft['fee_timing'])}
              options={[
                { value: 'advance', label: 'In advance, when the period starts' },
                { value: 'arrears', label: 'In arrears, when the period ends' },
              ]}
              error={errorAt('fee_timing')}
            />
            <Input
              label="Minimum per period"
              inputMode="decimal"
              value={draft.minimum_commitment}
              onChange={(e) => set('minimum_commitment')(e.target.value)}
              error={errorAt('minimum_commitment')}
            />
          </div>
        </Card>

        <Card
          title="Limits"
          description="What the plan allows; hard limits refuse the action, soft ones alert."
        >
          <LimitsEditor
            limits={draft.limits}
            features={features}
            onChange={set('limits')}
            errorAt={errorAt}
          />
        </Card>

        <Card
          title="Usage charges"
          description="Usage billed at the end of each period, after the included quantity."
        >
          <ChargesEditor
            charges={draft.charges}
            metrics={metrics}
            currency={draft.currency}
            onChange={set('charges')}
            errorAt={errorAt}
          />
        </Card>

        {problem && !shownInline ? <Alert>{problem.message}</Alert> : null}
        {problem && shownInline ? <Alert>Check the field marked below: {problem.message}</Alert> : null}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={busy}>
            {plan ? 'Save changes' : 'Create plan'}
          </Button>
        </div>
      </form>

      {plan ? <PricePreview key={plan.version.id} plan={plan} /> : null}
      {plan ? <Versions plan={plan} /> : null}

      {confirmDisable ? (
        <ConfirmDialog
          title="Disable this plan?"
          confirmLabel="Disable plan"
          onConfirm={() => setDisabled(true)}
          onCancel={() => setConfirmDisable(false)}
        >
          Customers can no longer choose it. Its subscribers stay on it.
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function Versions({ plan }: { plan: Plan }) {
  const versions = useApi(
    () =>
      allPages((query) =>
        api.GET('/v1/operator/plans/{plan_id}/versions', { params: { path: { plan_id: plan.id }, query } }),
      ),
    [plan.id, plan.version.version],
  );
  return (
    <Card
      title="Versions"
      description="Every published price and limit set; subscriptions point at one of them."
    >
      {versions.data ? (
        <div className="table-wrap">
          <table className="tier-table" aria-label="Versions">
            <thead>
              <tr>
                <th>Version</th>
                <th className="num">Base price</th>
                <th className="num">Limits</th>
                <th className="num">Usage charges</th>
                <th>Published</th>
              </tr>
            </thead>
            <tbody>
              {versions.data.data.map((v) => (
                <tr key={v.id}>
                  <td>
                    v{v.version}{' '}
                    {v.version === plan.version.version ? <Badge tone="accent">Current</Badge> : null}
                  </td>
                  <td className="num">{formatAmount(v.base_price, plan.currency)}</td>
                  <td className="num">{v.limits.length}</td>
                  <td className="num">{v.charges.length}</td>
                  <td>{formatDate(v.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Loading />
      )}
    </Card>
  );
}
