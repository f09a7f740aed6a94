import type { ButtonHTMLAttributes } from 'react';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: 'regular' | 'small';
  block?: boolean;
  /** Shows a spinner-free busy state: disabled, with the label kept for screen readers. */
  busy?: boolean;
}

export function buttonClass(variant: ButtonVariant = 'secondary', size: 'regular' | 'small' = 'regular') {
  return ['btn', `btn-${variant}`, size === 'small' ? 'btn-small' : ''].filter(Boolean).join(' ');
}

export function Button({
  variant = 'secondary',
  size = 'regular',
  block = false,
  busy = false,
  type = 'button',
  className,
  disabled,
  children,
  ...rest
}: ButtonProps) {
  const classes = [buttonClass(variant, size), block ? 'btn-block' : '', className ?? '']
    .filter(Boolean)
    .join(' ');
  return (
    <button
      type={type}
      className={classes}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {children}
    </button>
  );
}
