// Barcode scanner input (a keyboard wedge), in one field or anywhere on a screen.

import { useCallback, useEffect, useRef } from 'react';
import { ScanDetector, type ScanOptions } from '../domain/scanner';

/** For a field that takes a part: returns its onKeyDown. On a scan, the Enter that ends it
 * is swallowed (no form submit) and `onScan` gets the code. */
export function useScanField(onScan: (code: string) => void, options?: Partial<ScanOptions>) {
  const detector = useRef<ScanDetector | null>(null);
  detector.current ??= new ScanDetector(options);
  const latest = useRef(onScan);
  latest.current = onScan;
  return useCallback((event: React.KeyboardEvent) => {
    const code = detector.current?.key(event.key, Date.now()) ?? null;
    if (code !== null) {
      event.preventDefault();
      event.stopPropagation();
      latest.current(code);
    }
  }, []);
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
