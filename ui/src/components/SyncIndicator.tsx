import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { SyncStatus } from '../api';
import { describeSyncStatus, type SyncState } from '../domain/syncStatus';
import { useFormat } from '../i18n';

const ICON: Record<SyncState, string> = {
  update_required: '⬆',
  signed_out: '⏻',
  offline: '✕',
  syncing: '⟳',
  error: '!',
  pending: '●',
  synced: '✓',
};

/** Always in the header: online or offline, syncing, pending N, last sync, errors. Opens the
 * sync panel. The live region beside it tells screen readers when the state changes. */
export function SyncIndicator({ status }: { status: SyncStatus }) {
  const { t } = useTranslation();
  const format = useFormat();
  const view = describeSyncStatus(status, t, format);
  return (
    <div className="sync-indicator-wrap">
      <Link
        to="/sync"
        className={`sync-indicator sync-indicator--${view.state}`}
        aria-label={`${view.ariaLabel} ${t('sync.openPanel')}`}
        data-state={view.state}
      >
        <span className="sync-indicator__icon" aria-hidden="true">
          {ICON[view.state]}
        </span>
        <span className="sync-indicator__text" aria-hidden="true">
          <span className="sync-indicator__label">{view.label}</span>
          <span className="sync-indicator__detail">{view.detail}</span>
        </span>
      </Link>
      <span className="visually-hidden" role={view.role} data-state={view.state}>
        {view.ariaLabel}
      </span>
    </div>
  );
}
