import { useEffect, useId, useState } from 'react';
import { CheckIcon, CopyIcon } from './icons';

/** A value in monospace with a Copy button; the value is also selectable by hand. */
export function CopyBox({
  value,
  label,
  highlight = false,
}: {
  value: string;
  label: string;
  highlight?: boolean;
}) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  const selectValue = () => {
    const node = document.getElementById(id);
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  };

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // Clipboard access can be refused (plain http, permissions): select the text for a manual copy.
      selectValue();
    }
  };

  return (
    <div className={`copy-box${highlight ? ' copy-box-highlight' : ''}`}>
      <output id={id} className="copy-box-value" aria-label={label}>
        {value}
      </output>
      <button
        type="button"
        className="btn btn-secondary btn-small"
        onClick={copy}
        aria-label={`Copy ${label.toLowerCase()}`}
      >
        {copied ? <CheckIcon size={16} /> : <CopyIcon size={16} />}
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
