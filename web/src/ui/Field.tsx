import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, useId } from 'react';

interface FieldShellProps {
  id: string;
  label: ReactNode;
  /** Shown after the label, lighter: "for billing", "optional". */
  labelHint?: ReactNode | undefined;
  hint?: ReactNode | undefined;
  error?: string | undefined;
  className?: string | undefined;
  children: ReactNode;
}

function FieldShell({ id, label, labelHint, hint, error, className, children }: FieldShellProps) {
  return (
    <div className={['field', className ?? ''].filter(Boolean).join(' ')}>
      <label className="field-label" htmlFor={id}>
        {label}
        {labelHint ? <span className="field-label-hint"> ({labelHint})</span> : null}
      </label>
      {children}
      {error ? <FieldError id={`${id}-error`}>{error}</FieldError> : null}
      {hint && !error ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function FieldError({ id, children }: { id?: string; children: ReactNode }) {
  return (
    <span className="field-error" id={id} role="alert">
      {children}
    </span>
  );
}

function describedBy(id: string, error?: string, hint?: ReactNode) {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

export interface InputProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'className'> {
  label: ReactNode;
  labelHint?: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  inputClassName?: string;
}

/** A text input with its visible <label>, hint and error. */
export function Input({ label, labelHint, hint, error, className, inputClassName, id, ...rest }: InputProps) {
  const generated = useId();
  const inputId = id ?? generated;
  return (
    <FieldShell
      id={inputId}
      label={label}
      labelHint={labelHint}
      hint={hint}
      error={error}
      className={className}
    >
      <input
        id={inputId}
        className={['input', inputClassName ?? ''].filter(Boolean).join(' ')}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(inputId, error, hint)}
        {...rest}
      />
    </FieldShell>
  );
}

export interface SelectOption {
  value: string;
  label: string;
  disabled?: boolean;
}

export interface SelectProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, 'className'> {
  label: ReactNode;
  labelHint?: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  options: readonly (SelectOption | { group: string; options: readonly SelectOption[] })[];
  className?: string;
}

/** A native <select> with its visible <label>. */
export function Select({ label, labelHint, hint, error, options, className, id, ...rest }: SelectProps) {
  const generated = useId();
  const selectId = id ?? generated;
  return (
    <FieldShell
      id={selectId}
      label={label}
      labelHint={labelHint}
      hint={hint}
      error={error}
      className={className}
    >
      <select
        id={selectId}
        className="select"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(selectId, error, hint)}
        {...rest}
      >
        <Options options={options} />
      </select>
    </FieldShell>
  );
}

export function Options({ options }: { options: SelectProps['options'] }) {
  return (
    <>
      {options.map((option) =>
        'group' in option ? (
          <optgroup key={option.group} label={option.group}>
            {option.options.map((o) => (
              <option key={o.value} value={o.value} disabled={o.disabled}>
                {o.label}
              </option>
            ))}
          </optgroup>
        ) : (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ),
      )}
    </>
  );
}
