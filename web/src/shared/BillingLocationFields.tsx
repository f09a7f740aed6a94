import { Input, Select } from '../ui';
import { countryOptions } from './countries';

/**
 * Country and postal code, asked "for billing" wherever an account or organization is created or
 * edited: the gateway and taxes are chosen from them later.
 */
export function BillingLocationFields({
  country,
  postalCode,
  onCountry,
  onPostalCode,
  errors,
  disabled = false,
}: {
  country: string;
  postalCode: string;
  onCountry: (value: string) => void;
  onPostalCode: (value: string) => void;
  errors: { country?: string | undefined; postal_code?: string | undefined };
  disabled?: boolean;
}) {
  return (
    <>
      <Select
        label="Country"
        labelHint="for billing"
        autoComplete="country"
        value={country}
        disabled={disabled}
        onChange={(e) => onCountry(e.target.value)}
        options={countryOptions(country)}
        error={errors.country}
      />
      <Input
        label="Postal / ZIP code"
        labelHint="for billing"
        autoComplete="postal-code"
        value={postalCode}
        disabled={disabled}
        onChange={(e) => onPostalCode(e.target.value)}
        error={errors.postal_code}
      />
    </>
  );
}
