import { useState } from 'react';
import { type ApiError, toApiError } from './client';

/**
 * Error state of a form: messages for its own fields (from local checks or the API's `param`), and
 * everything else for an alert above the buttons.
 */
export interface FormErrors {
  fields: Record<string, string>;
  general: string | undefined;
}

const none: FormErrors = { fields: {}, general: undefined };

export function useFormErrors(fieldNames: readonly string[]) {
  const [errors, setErrors] = useState<FormErrors>(none);
  return {
    errors,
    field: (name: string) => errors.fields[name],
    clear: () => setErrors(none),
    /** Local validation; returns true when the form may be sent. */
    check: (fields: Record<string, string | false | undefined>) => {
      const found: Record<string, string> = {};
      for (const [name, message] of Object.entries(fields)) if (message) found[name] = message;
      setErrors({ fields: found, general: undefined });
      return Object.keys(found).length === 0;
    },
    fromError: (error: unknown) => {
      const e: ApiError = toApiError(error);
      const param = e.param ?? '';
      if (fieldNames.includes(param)) {
        // Validation messages name the field ("email: Invalid email"); next to the field that is noise.
        const message = e.message.startsWith(`${param}: `) ? e.message.slice(param.length + 2) : e.message;
        setErrors({ fields: { [param]: message }, general: undefined });
      } else setErrors({ fields: {}, general: e.message });
    },
  };
}

export const isEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
