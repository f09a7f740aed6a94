import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type BillingSettings, type Body } from '../api/client';
import { type Submit, useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { Alert, Button, Card, Input, Loading, Select } from '../ui';

type FinalStep = BillingSettings['dunning_final_step'];

const finalSteps: { value: FinalStep; label: string }[] = [
  { value: 'pause', label: 'Pause it: no new invoices until it is paid, then it resumes' },
  { value: 'keep', label: 'Keep invoicing it, unpaid' },
  { value: 'cancel', label: 'Cancel it (the invoice stays owed)' },
];

/**
 * Dunning, as the operator sets it in the billing settings: the days a failed charge is retried, what
 * becomes of the subscription when the last retry fails (docs/billing-rules.md, R9 and R11), and
 * whether a blocked customer keeps what only paid plans grant.
 */
export function BillingSettingsCard() {
  const { organization } = useSignedIn();
  const client = useQueryClient();
  const settings = useQuery(queries.billingSettings(organization.id));
  // Kept here: the editor starts afresh from what was saved, and says it was.
  const save = useSubmit({
    send: (body: Body<'/v1/operator/billing_settings', 'patch'>) =>
      api.PATCH('/v1/operator/billing_settings', { body }),
    onSuccess: (next) => client.setQueryData(queries.billingSettings(organization.id).queryKey, next),
  });
  if (!settings.data) return settings.error ? <Alert>{settings.error.message}</Alert> : <Loading />;
  return <DunningEditor key={JSON.stringify(settings.data)} settings={settings.data} save={save} />;
}

function DunningEditor({
  settings,
  save,
}: {
  settings: BillingSettings;
  save: Submit<Body<'/v1/operator/billing_settings', 'patch'>, BillingSettings>;
}) {
  const [retryDays, setRetryDays] = useState(settings.retry_days.join(', '));
  const [finalStep, setFinalStep] = useState<FinalStep>(settings.dunning_final_step);
  const [refusePaid, setRefusePaid] = useState(settings.refuse_paid_features_when_blocked);

  const submit = () => {
    const days = retryDays
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((d) => Number(d));
    if (days.some((d) => !Number.isInteger(d) || d < 1))
      return save.fail('Retry days are whole numbers of days, such as 3, 5, 7');
    save.submit({
      retry_days: days,
      dunning_final_step: finalStep,
      refuse_paid_features_when_blocked: refusePaid,
    });
  };

  return (
    <Card
      title="Dunning"
      description="When an automatic charge fails, the card is tried again on these days after the first failure. After the last retry the customer's account is blocked until it pays, and the subscription takes the last step."
    >
      {save.errors.general ? <Alert>{save.errors.general}</Alert> : null}
      {save.result ? (
        <Alert tone="success">Dunning saved. It applies to the next failed retries.</Alert>
      ) : null}
      <div className="editor-rows">
        <Input
          label="Retry days"
          hint="Days after the first failed charge, in increasing order"
          value={retryDays}
          onChange={(e) => setRetryDays(e.target.value)}
        />
        <Select
          label="After the last retry fails"
          value={finalStep}
          onChange={(e) => setFinalStep(e.target.value as FinalStep)}
          options={finalSteps}
        />
        <label className="checkbox">
          <input type="checkbox" checked={refusePaid} onChange={(e) => setRefusePaid(e.target.checked)} />
          While blocked, entitlement checks refuse the features only paid plans grant
        </label>
        <div className="form-actions">
          <Button variant="primary" busy={save.pending} onClick={submit}>
            Save dunning
          </Button>
        </div>
      </div>
    </Card>
  );
}
