import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, type BillingCustomer } from '../api/client';
import { isEmail, useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { countryOptions } from '../shared/countries';
import { Alert, Button, Input, Modal, Select } from '../ui';

/**
 * The billing customer's details: who is billed, at which address, in which currency and time zone.
 * Creates the customer, or updates it when one is given. The server checks every field again and
 * names the one it refuses; the message is shown beside it.
 */

const fields = [
  'name',
  'email',
  'address_line1',
  'address_line2',
  'city',
  'state',
  'postal_code',
  'country',
  'phone',
  'tax_id',
  'currency',
  'time_zone',
] as const;
type Field = (typeof fields)[number];
type Values = Record<Field, string>;

const currencies = [
  { value: 'USD', label: 'USD — US dollar' },
  { value: 'INR', label: 'INR — Indian rupee' },
  { value: 'EUR', label: 'EUR — Euro' },
  { value: 'GBP', label: 'GBP — Pound sterling' },
  { value: 'JPY', label: 'JPY — Japanese yen' },
  { value: 'CAD', label: 'CAD — Canadian dollar' },
  { value: 'AUD', label: 'AUD — Australian dollar' },
  { value: 'SGD', label: 'SGD — Singapore dollar' },
];

const defaultCurrency = (country: string) => (country === 'IN' ? 'INR' : country === 'JP' ? 'JPY' : 'USD');
const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function timeZones(current: string) {
  const zones = Intl.supportedValuesOf('timeZone');
  const all = zones.includes(current) ? zones : [current, ...zones];
  return all.map((zone) => ({ value: zone, label: zone.replaceAll('_', ' ') }));
}

function initialValues(customer: BillingCustomer | undefined, country: string): Values {
  if (customer) {
    const {
      name,
      email,
      address_line1,
      address_line2,
      city,
      state,
      postal_code,
      phone,
      tax_id,
      currency,
      time_zone,
    } = customer;
    return {
      name,
      email,
      address_line1,
      address_line2,
      city,
      state,
      postal_code,
      country: customer.country,
      phone,
      tax_id,
      currency,
      time_zone,
    };
  }
  return {
    name: '',
    email: '',
    address_line1: '',
    address_line2: '',
    city: '',
    state: '',
    postal_code: '',
    country,
    phone: '',
    tax_id: '',
    currency: defaultCurrency(country),
    time_zone: browserTimeZone(),
  };
}

export function CustomerModal({
  customer,
  organizationCountry,
  onClose,
  onSaved,
}: {
  customer?: BillingCustomer | undefined;
  organizationCountry: string;
  onClose: () => void;
  onSaved: (customer: BillingCustomer) => void;
}) {
  const { organization } = useSignedIn();
  const client = useQueryClient();
  const [values, setValues] = useState<Values>(() => initialValues(customer, organizationCountry));
  const formId = useId();
  const creating = customer === undefined;
  const form = useSubmit({
    send: (body: Values) =>
      creating ? api.POST('/v1/billing_customer', { body }) : api.PATCH('/v1/billing_customer', { body }),
    fields,
    onSuccess: (saved) => {
      client.setQueryData(queries.billingCustomer(organization.id).queryKey, saved);
      onSaved(saved);
    },
    // A new customer starts on the default plan; a new currency prices every plan anew.
    invalidates: billingChanges(organization.id),
  });

  const set = (field: Field) => (value: string) =>
    setValues((v) => {
      const next = { ...v, [field]: value };
      // A new customer's currency follows its country until someone picks one.
      if (field === 'country' && creating && v.currency === defaultCurrency(v.country)) {
        next.currency = defaultCurrency(value);
      }
      return next;
    });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = form.check({
      name: !values.name.trim() && 'Enter the name to bill',
      email: !isEmail(values.email) && 'Enter an email address such as billing@example.com',
      address_line1: !values.address_line1.trim() && 'Enter the street address',
      city: !values.city.trim() && 'Enter the city',
      postal_code: !values.postal_code.trim() && 'Enter the postal code',
    });
    if (ok) form.submit(Object.fromEntries(fields.map((f) => [f, values[f].trim()])) as Values);
  };

  const text = (field: Field, label: string, extra: Partial<Parameters<typeof Input>[0]> = {}) => (
    <Input
      label={label}
      value={values[field]}
      onChange={(e) => set(field)(e.target.value)}
      error={form.field(field)}
      {...extra}
    />
  );

  return (
    <Modal
      title={creating ? 'Create billing customer' : 'Update customer details'}
      description={
        creating
          ? 'Who is billed for this organization. Invoices carry these details; the country chooses the payment gateway.'
          : 'Changes apply to the next invoice. Past invoices keep the details they were issued with.'
      }
      onClose={onClose}
      size="wide"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.pending}>
            {form.pending ? 'Saving…' : creating ? 'Create billing customer' : 'Update'}
          </Button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {form.errors.general ? (
          <div className="span-2">
            <Alert>{form.errors.general}</Alert>
          </div>
        ) : null}
        {text('name', 'Billing name', { autoComplete: 'organization', className: 'span-2' })}
        {text('email', 'Billing email', {
          type: 'email',
          autoComplete: 'email',
          hint: 'Invoices and receipts go here',
        })}
        {text('phone', 'Phone', {
          type: 'tel',
          autoComplete: 'tel',
          labelHint: 'optional',
          placeholder: '+1 415 555 0100',
        })}
        {text('address_line1', 'Address', { autoComplete: 'address-line1', className: 'span-2' })}
        {text('address_line2', 'Address line 2', {
          autoComplete: 'address-line2',
          labelHint: 'optional',
          className: 'span-2',
        })}
        {text('city', 'City', { autoComplete: 'address-level2' })}
        {text('state', 'State / province', { autoComplete: 'address-level1' })}
        {text('postal_code', 'Postal / ZIP code', { autoComplete: 'postal-code' })}
        <Select
          label="Country"
          autoComplete="country"
          value={values.country}
          onChange={(e) => set('country')(e.target.value)}
          options={countryOptions(values.country)}
          error={form.field('country')}
        />
        {text('tax_id', 'Tax ID', { labelHint: 'optional', hint: 'GSTIN, VAT or EIN, printed on invoices' })}
        <Select
          label="Currency"
          value={values.currency}
          onChange={(e) => set('currency')(e.target.value)}
          options={
            currencies.some((c) => c.value === values.currency)
              ? currencies
              : [{ value: values.currency, label: values.currency }, ...currencies]
          }
          error={form.field('currency')}
        />
        <Select
          className="span-2"
          label="Time zone"
          hint="Billing periods start at midnight on the 1st in this time zone"
          value={values.time_zone}
          onChange={(e) => set('time_zone')(e.target.value)}
          options={timeZones(values.time_zone)}
          error={form.field('time_zone')}
        />
      </form>
    </Modal>
  );
}
