/**
 * ISO 3166-1 alpha-2 countries. The names come from the runtime's ICU data, which also knows a few
 * codes that are not countries (EU, UN, reserved and withdrawn codes); those are refused here.
 */
const notCountries = new Set(
  'AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB XK YD YU ZR ZZ'.split(' '),
);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

export function countryName(code: string): string | undefined {
  if (!/^[A-Z]{2}$/.test(code) || notCountries.has(code)) return undefined;
  return regionNames.of(code);
}

export const isCountryCode = (code: string) => countryName(code) !== undefined;

/** The currency a customer in this country is billed in unless it chooses another. */
export function defaultCurrencyFor(country: string): string {
  if (country === 'IN') return 'INR';
  if (country === 'JP') return 'JPY';
  return 'USD';
}

/** Postal code formats Billfold checks, with an example for the message; other countries vary too much. */
export const postalFormats: Record<
  string,
  { pattern: RegExp; example: string; normalize?: (v: string) => string }
> = {
  US: { pattern: /^\d{5}(-\d{4})?$/, example: 'a US ZIP code such as 94107 or 94107-1234' },
  IN: {
    pattern: /^[1-9]\d{5}$/,
    example: 'a six-digit Indian PIN code such as 560001',
    normalize: (v) => v.replace(/\s+/g, ''),
  },
};
