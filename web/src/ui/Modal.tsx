import * as Dialog from '@radix-ui/react-dialog';
import { type ReactNode, useState } from 'react';
import { Button } from './Button';
import { CloseIcon } from './icons';

export interface ModalProps {
  title: ReactNode;
  description?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** 'wide' for forms with many fields (an address). */
  size?: 'normal' | 'wide';
}

const firstField = 'input:not([disabled]), select:not([disabled]), textarea:not([disabled])';

/**
 * A dialog, open while it is rendered: Radix's, which labels it by its title, keeps focus inside,
 * hides the rest of the page from assistive technology, and closes on Escape or a press on the dimmed
 * backdrop. It opens on its first field, so a form can be typed into at once (a dialog without one
 * opens on itself), and gives focus back to what opened it: the button a caller rendered it from,
 * since callers open it by rendering it rather than through a Radix trigger.
 */
export function Modal({ title, description, onClose, children, footer, size = 'normal' }: ModalProps) {
  const [opener] = useState(() =>
    document.activeElement instanceof HTMLElement ? document.activeElement : null,
  );
  return (
    <Dialog.Root open onOpenChange={(open) => (open ? undefined : onClose())}>
      <Dialog.Portal>
        <Dialog.Overlay className="modal-backdrop">
          <Dialog.Content
            className={size === 'wide' ? 'modal modal-wide' : 'modal'}
            onOpenAutoFocus={(event) => {
              event.preventDefault();
              const dialog = event.currentTarget as HTMLElement;
              (dialog.querySelector<HTMLElement>(firstField) ?? dialog).focus();
            }}
            onCloseAutoFocus={(event) => {
              event.preventDefault();
              opener?.focus();
            }}
            {...(description ? {} : { 'aria-describedby': undefined })}
          >
            <div className="modal-header">
              <div>
                <Dialog.Title>{title}</Dialog.Title>
                {description ? <Dialog.Description>{description}</Dialog.Description> : null}
              </div>
              <Dialog.Close className="icon-button" aria-label="Close">
                <CloseIcon />
              </Dialog.Close>
            </div>
            <div className="modal-body">{children}</div>
            {footer ? <div className="modal-footer">{footer}</div> : null}
          </Dialog.Content>
        </Dialog.Overlay>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** A yes/no question before something that cannot be undone. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy = false,
  error,
}: {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  error?: ReactNode;
}) {
  return (
    <Modal
      title={title}
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="danger" onClick={onConfirm} busy={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="stack">
        <div className="muted">{children}</div>
        {error}
      </div>
    </Modal>
  );
}
