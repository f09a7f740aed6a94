import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type Body, type Feature, type Metric } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import {
  Alert,
  Button,
  Card,
  type Column,
  EmptyState,
  Input,
  LayersIcon,
  Loading,
  Page,
  Select,
  Table,
} from '../ui';
import './catalog.css';

const aggregations = [
  { value: 'count', label: 'Count of events' },
  { value: 'sum', label: 'Sum of a property' },
  { value: 'max', label: 'Maximum of a property' },
  { value: 'latest', label: 'Latest value of a property' },
  { value: 'unique_count', label: 'Unique values of a property' },
  { value: 'time_weighted_sum', label: 'Time-weighted sum (machines × hours)' },
] as const;
type Aggregation = (typeof aggregations)[number]['value'];
const aggregationLabel = (a: string) => aggregations.find((x) => x.value === a)?.label ?? a;
/** Aggregations that hold a level, which may carry from period to period (seats). */
const holdsLevel = (a: string) => a === 'sum' || a === 'latest';

/** What plans can charge for (metrics) and limit (features). */
export function MetricsPage() {
  const { organization } = useSignedIn();
  const metrics = useQuery(queries.metrics(organization.id));
  const features = useQuery(queries.features(organization.id));

  const metricColumns: Column<Metric>[] = [
    {
      key: 'name',
      header: 'Metric',
      sortValue: (m) => m.name,
      filterValue: (m) => `${m.name} ${m.code}`,
      render: (m) => (
        <span className="plan-name-cell">
          <span className="cell-primary">{m.name}</span>
          <code>{m.code}</code>
        </span>
      ),
    },
    {
      key: 'aggregation',
      header: 'Adds up as',
      render: (m) =>
        m.recurring
          ? `${aggregationLabel(m.aggregation)}, carried over, billed by the day`
          : aggregationLabel(m.aggregation),
    },
    { key: 'property', header: 'Property', render: (m) => (m.property ? <code>{m.property}</code> : '—') },
    { key: 'unit', header: 'Unit', render: (m) => m.unit },
    { key: 'dimensions', header: 'Dimensions', render: (m) => m.dimensions.join(', ') || '—' },
  ];
  const featureColumns: Column<Feature>[] = [
    {
      key: 'name',
      header: 'Feature',
      sortValue: (f) => f.name,
      render: (f) => <span className="cell-primary">{f.name}</span>,
    },
    { key: 'code', header: 'Code', sortValue: (f) => f.code, render: (f) => <code>{f.code}</code> },
    { key: 'unit', header: 'Unit', render: (f) => f.unit },
  ];

  return (
    <Page title="Metrics and features" description="What plans charge for, and what they limit.">
      <Card
        flush
        title="Metrics"
        description="How usage events add up over a period; usage charges price them."
      >
        {metrics.data ? (
          <Table
            label="Metrics"
            columns={metricColumns}
            rows={metrics.data.data}
            rowKey={(m) => m.id}
            empty={
              <EmptyState icon={<LayersIcon />} title="No metrics yet">
                Define one below to charge for usage.
              </EmptyState>
            }
          />
        ) : (
          <Loading />
        )}
      </Card>
      <NewMetric organizationId={organization.id} />
      <Card flush title="Features" description="What plans can limit: hard limits refuse, soft limits alert.">
        {features.data ? (
          <Table label="Features" columns={featureColumns} rows={features.data.data} rowKey={(f) => f.code} />
        ) : (
          <Loading />
        )}
      </Card>
      <NewFeature organizationId={organization.id} />
    </Page>
  );
}

function NewMetric({ organizationId }: { organizationId: string }) {
  const empty = {
    code: '',
    name: '',
    unit: '',
    aggregation: 'count' as Aggregation,
    property: '',
    dimensions: '',
    recurring: false,
  };
  const [values, setValues] = useState(empty);
  const form = useSubmit({
    send: (body: Body<'/v1/operator/metrics', 'post'>) => api.POST('/v1/operator/metrics', { body }),
    fields: ['code', 'name', 'unit', 'aggregation', 'property', 'dimensions', 'recurring'],
    onSuccess: () => setValues(empty),
    invalidates: [queries.metrics(organizationId).queryKey],
  });
  const set = (field: Exclude<keyof typeof empty, 'recurring'>) => (value: string) =>
    setValues((v) => ({ ...v, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    form.submit({
      code: values.code.trim(),
      name: values.name.trim(),
      unit: values.unit.trim(),
      aggregation: values.aggregation,
      ...(values.aggregation === 'count' ? {} : { property: values.property.trim() }),
      dimensions: values.dimensions
        .split(/[\s,]+/)
        .map((d) => d.trim())
        .filter(Boolean),
      recurring: values.recurring && holdsLevel(values.aggregation),
    });
  };
  // Said until the next metric is sent.
  const created = form.result;

  return (
    <Card title="New metric">
      <form className="plan-form" onSubmit={submit} noValidate>
        {created ? <Alert tone="success">{`${created.name} can now be charged for on plans.`}</Alert> : null}
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <div className="editor-grid">
          <Input
            label="Metric code"
            placeholder="machine_hours"
            value={values.code}
            onChange={(e) => set('code')(e.target.value)}
            error={form.field('code')}
          />
          <Input
            label="Metric name"
            placeholder="Machine hours"
            value={values.name}
            onChange={(e) => set('name')(e.target.value)}
            error={form.field('name')}
          />
          <Input
            label="Unit"
            placeholder="hour"
            value={values.unit}
            onChange={(e) => set('unit')(e.target.value)}
            error={form.field('unit')}
          />
          <Select
            label="Aggregation"
            value={values.aggregation}
            onChange={(e) => set('aggregation')(e.target.value)}
            options={aggregations}
            error={form.field('aggregation')}
          />
          {values.aggregation !== 'count' ? (
            <Input
              label="Event property"
              placeholder="machines"
              value={values.property}
              onChange={(e) => set('property')(e.target.value)}
              error={form.field('property')}
            />
          ) : null}
          <Input
            label="Dimensions"
            labelHint="optional"
            placeholder="machine_type, region"
            hint="Properties usage can be priced by"
            value={values.dimensions}
            onChange={(e) => set('dimensions')(e.target.value)}
            error={form.field('dimensions')}
          />
          {holdsLevel(values.aggregation) ? (
            <label className="checkbox span-2">
              <input
                type="checkbox"
                checked={values.recurring}
                onChange={(e) => setValues((v) => ({ ...v, recurring: e.target.checked }))}
              />
              Recurring: the value carries into the next period (seats), billed by the days it is held
            </label>
          ) : null}
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.pending}>
            Create metric
          </Button>
        </div>
      </form>
    </Card>
  );
}

function NewFeature({ organizationId }: { organizationId: string }) {
  const empty = { code: '', name: '', unit: '' };
  const [values, setValues] = useState(empty);
  const form = useSubmit({
    send: (body: typeof empty) => api.POST('/v1/operator/features', { body }),
    fields: ['code', 'name', 'unit'],
    onSuccess: () => setValues(empty),
    invalidates: [queries.features(organizationId).queryKey],
  });
  const set = (field: keyof typeof empty) => (value: string) => setValues((v) => ({ ...v, [field]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    form.submit({ code: values.code.trim(), name: values.name.trim(), unit: values.unit.trim() });
  };
  return (
    <Card title="New feature">
      <form className="plan-form" onSubmit={submit} noValidate>
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <div className="editor-grid">
          <Input
            label="Feature code"
            placeholder="gpus"
            value={values.code}
            onChange={(e) => set('code')(e.target.value)}
            error={form.field('code')}
          />
          <Input
            label="Feature name"
            placeholder="GPUs"
            value={values.name}
            onChange={(e) => set('name')(e.target.value)}
            error={form.field('name')}
          />
          <Input
            label="Feature unit"
            placeholder="GPUs"
            value={values.unit}
            onChange={(e) => set('unit')(e.target.value)}
            error={form.field('unit')}
          />
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.pending}>
            Create feature
          </Button>
        </div>
      </form>
    </Card>
  );
}
