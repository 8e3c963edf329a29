/**
 * A command to copy: the text, selectable, and a button. The clipboard API needs a secure context
 * (https or localhost); elsewhere the button selects the text for Ctrl+C.
 */
import { useRef, useState } from 'preact/hooks';

export function CopyLine({ text, label }: { text: string; label: string }) {
  const code = useRef<HTMLElement>(null);
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied');
    } catch {
      const selection = getSelection();
      if (code.current && selection) {
        selection.selectAllChildren(code.current);
        setSaid('Selected: press Ctrl+C');
      }
    }
  };
  return (
    <div class="copy-line">
      <code ref={code} aria-label={label}>
        {text}
      </code>
      <button type="button" onClick={copy} aria-label={`Copy: ${label}`}>
        Copy
      </button>
      <span class="muted" role="status" aria-live="polite">
        {said}
      </span>
    </div>
  );
}
