// Barcode scanner input (a keyboard wedge), in one field or anywhere on a screen.

import { useCallback, useEffect, useRef } from 'react';
import { ScanDetector, type ScanOptions } from '../domain/scanner';

/** What a field held around a scan: `before`, its text when the burst began (less any
 * selected text the burst typed over), and `value`, its text when the scan ended. */
export interface ScanContext {
  before: string;
  value: string;
}

/** For a field that takes a part: returns its onKeyDown. On a scan, the Enter that ends it
 * is swallowed (no form submit) and `onScan` gets the code and what the field held. A
 * person's slow keys followed by fast ones also end as a "scan" of the fast ones only (a
 * busy machine can delay some keys): `before` lets the field look up all it holds then. */
export function useScanField(onScan: (code: string, field: ScanContext) => void, options?: Partial<ScanOptions>) {
  const detector = useRef<ScanDetector | null>(null);
  detector.current ??= new ScanDetector(options);
  const latest = useRef(onScan);
  latest.current = onScan;
  const before = useRef('');
  return useCallback((event: React.KeyboardEvent) => {
    const field = event.currentTarget as HTMLInputElement;
    const value = typeof field.value === 'string' ? field.value : '';
    const code = detector.current?.key(event.key, Date.now()) ?? null;
    // keydown comes before the key reaches the field: this is the text the burst adds to.
    if (detector.current?.burstLength === 1) before.current = textKeptByTyping(field, value);
    if (code !== null) {
      event.preventDefault();
      event.stopPropagation();
      latest.current(code, { before: before.current, value });
    }
  }, []);
}

/** The field's text once a key is typed at its caret: a selection is typed over. */
function textKeptByTyping(field: HTMLInputElement, value: string): string {
  const start = field.selectionStart ?? value.length;
  const end = field.selectionEnd ?? value.length;
  return value.slice(0, start) + value.slice(end);
}

/** Anywhere on a screen (while `enabled`): a scan calls `onScan`, whatever has the focus.
 * Fields with a scanner of their own (data-scan-field) are left to it. */
export function useScanAnywhere(onScan: (code: string) => void, enabled = true, options?: Partial<ScanOptions>) {
  const latest = useRef(onScan);
  latest.current = onScan;
  useEffect(() => {
    if (!enabled) return undefined;
    const detector = new ScanDetector(options);
    const handle = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest?.('[data-scan-field]')) return;
      const code = detector.key(event.key, Date.now());
      if (code !== null) {
        event.preventDefault();
        event.stopPropagation();
        latest.current(code);
      }
    };
    window.addEventListener('keydown', handle, true);
    return () => window.removeEventListener('keydown', handle, true);
    // The options object is read once per enable: a scanner's timing does not change.
  }, [enabled]);
}
