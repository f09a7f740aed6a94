import type { SelectOption } from '../ui';

/**
 * Every ISO 3166-1 country, named by the browser in the reader's language. The browser's region
 * data also names a few codes that are not countries (EU, UN, withdrawn and reserved codes); the
 * server refuses those, so they are left out here too (server/src/customers/countries.ts).
 */
const notCountries = new Set(
  'AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB XK YD YU ZR ZZ'.split(' '),
);
const regionNames = new Intl.DisplayNames(undefined, { type: 'region', fallback: 'none' });

function allCountries(): SelectOption[] {
  const options: SelectOption[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const name = notCountries.has(code) ? undefined : regionNames.of(code);
      if (name) options.push({ value: code, label: name });
    }
  }
  return options.sort((x, y) => x.label.localeCompare(y.label));
}

/** US and India first: where the platforms Billfold serves sell most (Stripe and Cashfree). */
const first: SelectOption[] = [
  { value: 'US', label: regionNames.of('US') ?? 'United States' },
  { value: 'IN', label: regionNames.of('IN') ?? 'India' },
];
const rest = allCountries();
const known = new Map(rest.map((c) => [c.value, c.label]));

export const countryName = (code: string) => known.get(code) ?? code;

/** Options for a country <select>; a saved code outside the list still shows as itself. */
export function countryOptions(current?: string) {
  const extra: SelectOption[] = current && !known.has(current) ? [{ value: current, label: current }] : [];
  return [...extra, ...first, { group: 'All countries', options: rest }] as const;
}
