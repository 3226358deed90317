// The app's own modal dialog: focus moves in and stays in (Tab wraps), Esc closes it wherever focus is, a click on
// the backdrop closes it, and focus returns to where it was when it closes.
import { useEffect, useRef, type ReactNode } from 'react';

/** Open dialogs, innermost last: only the innermost answers Esc and Tab. */
const open: object[] = [];

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

interface Props {
  labelledBy: string;
  className?: string;
  /** The element focused first (a selector inside the dialog); else the first focusable one. */
  initialFocus?: string;
  onClose(): void;
  children: ReactNode;
}

export function Dialog({ labelledBy, className = 'modal', initialFocus, onClose, children }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const el = box.current;
    (el?.querySelector<HTMLElement>(initialFocus ?? FOCUSABLE) ?? el)?.focus();
    const me = {};
    open.push(me);
    const onKey = (e: KeyboardEvent) => {
      if (open[open.length - 1] !== me) return;
      if (e.key === 'Escape') {
        // Capture phase: Esc here must not also stop an answer (the window's Esc).
        e.stopPropagation();
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== 'Tab' || !el) return;
      const items = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)];
      if (items.length === 0) return;
      const first = items[0], last = items[items.length - 1];
      const inside = el.contains(document.activeElement);
      if (e.shiftKey && (document.activeElement === first || !inside)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
        e.preventDefault();
        first.focus();
      }
    };
    // Focus that leaves the dialog (a click on the page behind the backdrop cannot, but a script might) comes back.
    const onFocusIn = (e: FocusEvent) => {
      if (open[open.length - 1] === me && el && !el.contains(e.target as Node)) el.focus();
    };
    window.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      open.splice(open.indexOf(me), 1);
      window.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      before?.focus?.();
    };
  }, [initialFocus]);

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={className} role="dialog" aria-modal="true" aria-labelledby={labelledBy} ref={box} tabIndex={-1}>
        {children}
      </div>
    </div>
  );
}

/** "Delete …?" in the app's own dialog (not the browser's confirm()). */
export function ConfirmDialog(props: { title: string; body: ReactNode; confirm: string; onConfirm(): void; onCancel(): void }) {
  return (
    <Dialog labelledBy="confirm-h" className="modal modal-small" initialFocus=".btn-cancel" onClose={props.onCancel}>
      <h2 id="confirm-h" className="modal-title">
        {props.title}
      </h2>
      <div className="modal-body">{props.body}</div>
      <div className="row end">
        <button className="btn btn-cancel" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          className="btn btn-danger"
          onClick={() => {
            props.onConfirm();
            props.onCancel();
          }}
        >
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}
