/** The payment gateways Billfold takes payments through, by the code the API uses, as people read them. */
export const gateways = [
  { value: 'stripe', label: 'Stripe' },
  { value: 'cashfree', label: 'Cashfree' },
  { value: 'test', label: 'Test gateway' },
] as const;

export type Gateway = (typeof gateways)[number]['value'];

export const isGateway = (code: string): code is Gateway => gateways.some((g) => g.value === code);

/** "Stripe" for `stripe`; a code not known here is shown as it is. */
export const gatewayName = (code: string): string => gateways.find((g) => g.value === code)?.label ?? code;
