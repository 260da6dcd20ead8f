// What the always-visible sync indicator says for a status: one state, a short label, a
// detail line, and how assistive technology hears it. The most urgent fact wins.

import type { TFunction } from 'i18next';
import type { SyncStatus } from '../api';
import type { Formatter } from '../i18n/format';

export type SyncState = 'update_required' | 'signed_out' | 'offline' | 'syncing' | 'error' | 'pending' | 'synced';

export interface SyncIndicatorView {
  state: SyncState;
  /** Short, in the header. */
  label: string;
  /** Second line: pending changes and the last successful sync. */
  detail: string;
  /** `alert` only for what needs the person (update required, a failing sync). */
  role: 'status' | 'alert';
  /** The whole sentence, for screen readers. */
  ariaLabel: string;
}

export function syncState(status: SyncStatus): SyncState {
  if (status.update_required) return 'update_required';
  // Unlocked offline after signing out: nothing syncs until an online sign-in.
  if (status.user !== null && !status.signed_in) return 'signed_out';
  if (status.syncing) return 'syncing';
  if (!status.online) return 'offline';
  if (status.last_error) return 'error';
  if (status.pending > 0) return 'pending';
  return 'synced';
}

export function describeSyncStatus(status: SyncStatus, t: TFunction, format: Formatter): SyncIndicatorView {
  const state = syncState(status);
  const label = t(`sync.state.${state}`, { count: status.pending, formatted: format.number(status.pending) });
  const parts: string[] = [];
  if (state === 'signed_out') parts.push(t('sync.signInToSend'));
  if (status.pending > 0 && state !== 'pending') {
    parts.push(t('sync.pending', { count: status.pending, formatted: format.number(status.pending) }));
  }
  parts.push(
    status.last_success
      ? t('sync.lastSuccess', { time: format.time(status.last_success) })
      : t('sync.neverSynced'),
  );
  if (status.conflicts > 0) {
    parts.push(t('sync.conflicts', { count: status.conflicts, formatted: format.number(status.conflicts) }));
  }
  const detail = parts.join(' · ');
  const errorText = state === 'error' && status.last_error ? ` ${status.last_error.message}` : '';
  return {
    state,
    label,
    detail,
    role: state === 'update_required' || state === 'error' || state === 'signed_out' ? 'alert' : 'status',
    ariaLabel: `${t('sync.ariaPrefix')} ${label}.${errorText} ${detail}.`,
  };
}
