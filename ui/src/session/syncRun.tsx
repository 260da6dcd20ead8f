// A sync the person started (the sync panel, F9, or the first sync after signing in): its
// progress from the shell's channel, its report or its error, for every screen to show.

import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { api, type SyncProgress, type SyncReport, type TallerError } from '../api';
import { toTallerError } from '../api';

export interface SyncRun {
  running: boolean;
  progress: SyncProgress | null;
  report: SyncReport | null;
  error: TallerError | null;
  /** Starts a sync unless one started here is running; resolves when it ends. */
  start(): Promise<void>;
}

const SyncRunContext = createContext<SyncRun | null>(null);

/** The share of rows received, 0..1 (1 when there is nothing to receive, as the library says). */
export function progressFraction(progress: SyncProgress): number {
  if (progress.rows_total <= 0) return 1;
  return Math.min(1, progress.rows_sent / progress.rows_total);
}

export function SyncRunProvider({ children }: { children: React.ReactNode }) {
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [report, setReport] = useState<SyncReport | null>(null);
  const [error, setError] = useState<TallerError | null>(null);
  const current = useRef<Promise<void> | null>(null);
  const start = useCallback(() => {
    if (current.current) return current.current;
    setRunning(true);
    setProgress(null);
    setError(null);
    const run = api
      .syncNow(setProgress)
      .then((result) => setReport(result))
      .catch((raw: unknown) => setError(toTallerError(raw)))
      .finally(() => {
        current.current = null;
        setRunning(false);
      });
    current.current = run;
    return run;
  }, []);
  const value = useMemo(() => ({ running, progress, report, error, start }), [running, progress, report, error, start]);
  return <SyncRunContext.Provider value={value}>{children}</SyncRunContext.Provider>;
}

export function useSyncRun(): SyncRun {
  const run = useContext(SyncRunContext);
  if (!run) throw new Error('useSyncRun outside SyncRunProvider');
  return run;
}
