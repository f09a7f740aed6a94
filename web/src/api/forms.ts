import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type ApiError, toApiError, unwrap } from './client';
import { invalidate } from './queries';

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
    /** A local refusal that belongs to no one field. */
    fail: (message: string) => setErrors({ fields: {}, general: message }),
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

/** What the SDK's calls return: the data, or the error the API answered with. */
type SdkCall<Result> = Promise<{ data?: Result; error?: unknown; response: Response }>;

export interface SubmitOptions<Input, Result> {
  /** The write, one call of the SDK. */
  send: (input: Input) => SdkCall<Result>;
  /** The form's fields: an API error that names one (its `param`) is shown beside it. */
  fields?: readonly string[];
  /** What the page does with the answer (say so, close a dialog, move on), before the reads refresh. */
  onSuccess?: (result: Result, input: Input) => unknown;
  /** The reads the write changes, by key prefix: read again once it succeeded. */
  invalidates?: readonly QueryKey[] | ((result: Result, input: Input) => readonly QueryKey[]);
  /** What the page does on a failure besides showing it (a page that marks fields its own way). */
  onError?: (error: ApiError) => void;
}

/**
 * The one way a page writes: a TanStack Query mutation of one SDK call, pending while it runs and
 * until the reads it changed are fresh (for the submit button's `busy`), its failure shown as forms
 * show errors (a field's own beside it, the rest in an alert).
 */
export function useSubmit<Input = void, Result = unknown>({
  send,
  fields = [],
  onSuccess,
  invalidates,
  onError,
}: SubmitOptions<Input, Result>) {
  const client = useQueryClient();
  const form = useFormErrors(fields);
  const mutation = useMutation<Result, ApiError, Input>({
    mutationFn: (input) => unwrap(send(input)),
    onMutate: () => form.clear(),
    onSuccess: async (result, input) => {
      await onSuccess?.(result, input);
      const keys = typeof invalidates === 'function' ? invalidates(result, input) : invalidates;
      if (keys) await invalidate(client, keys);
    },
    onError: (error) => {
      form.fromError(error);
      onError?.(error);
    },
  });
  return {
    ...form,
    /** Sends the write; the answer arrives through `onSuccess`, a failure through `errors`. */
    submit: mutation.mutate,
    pending: mutation.isPending,
    /** The input being sent, while it is (which of a list's buttons spins). */
    sending: mutation.isPending ? mutation.variables : undefined,
    /** The answer of the last write that succeeded. */
    result: mutation.data,
    /** What the API refused the last write with. */
    error: mutation.error ?? undefined,
  };
}

/** A page's write, as `useSubmit` returns it, for a part of the page that sends it. */
export type Submit<Input, Result> = ReturnType<typeof useSubmit<Input, Result>>;

export const isEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
