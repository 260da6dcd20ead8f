// Sync: what the indicator says, in full; a manual sync with the progress of the pull (rows
// and percentage, from the shell's channel); the last errors.

import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useRecentSyncErrors, useStatus } from '../api/hooks';
import { RefusalNotice } from '../components/Problems';
import { describeSyncStatus } from '../domain/syncStatus';
import { useFormat } from '../i18n';
import { progressFraction, useSyncRun } from '../session/syncRun';

export function SyncPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const status = useStatus();
  const errors = useRecentSyncErrors();
  const run = useSyncRun();
  if (!status.data) return <p className="screen">{t('common.loading')}</p>;
  const view = describeSyncStatus(status.data, t, format);
  const progress = run.progress;
  const fraction = progress ? progressFraction(progress) : 0;
  return (
    <section className="screen" aria-labelledby="sync-title">
      <h1 id="sync-title">{t('syncPanel.title')}</h1>
      {status.data.update_required && (
        <div className="notice notice--error" role="alert">
          <p className="notice__title">{t('update.title')}</p>
          <p>{t('update.body')}</p>
        </div>
      )}
      <dl className="facts facts--status">
        <div>
          <dt>{t('syncPanel.state')}</dt>
          <dd className={`state state--${view.state}`}>{view.label}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.connection')}</dt>
          <dd>{status.data.online ? t('syncPanel.online') : t('syncPanel.offline')}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.pending')}</dt>
          <dd className="big-number">{format.number(status.data.pending)}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.lastSuccess')}</dt>
          <dd>{status.data.last_success ? format.dateTime(status.data.last_success) : t('sync.neverSynced')}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.conflicts')}</dt>
          <dd>
            {status.data.conflicts > 0 ? (
              <Link to="/inbox">{t('syncPanel.conflictsLink', { count: status.data.conflicts })}</Link>
            ) : (
              format.number(0)
            )}
          </dd>
        </div>
        <div>
          <dt>{t('syncPanel.server')}</dt>
          <dd className="mono">{status.data.server_url ?? t('syncPanel.noServer')}</dd>
        </div>
      </dl>

      <div className="sync-actions">
        <button type="button" className="button button--primary button--large" onClick={() => void run.start()} disabled={run.running} aria-keyshortcuts="F9">
          {run.running ? t('syncPanel.running') : t('syncPanel.syncNow')} <kbd aria-hidden="true">F9</kbd>
        </button>
      </div>
      {run.running && (
        <div className="progress-block">
          <label htmlFor="sync-progress" className="field__label">
            {t('syncPanel.progressLabel')}
          </label>
          <progress id="sync-progress" max={100} value={progress ? Math.round(fraction * 100) : undefined} />
          <p aria-live="polite">
            {progress && progress.rows_total > 0
              ? t('syncPanel.progress', {
                  sent: format.number(progress.rows_sent),
                  total: format.number(progress.rows_total),
                  percent: format.percent(fraction),
                })
              : t('syncPanel.starting')}
          </p>
        </div>
      )}
      {!run.running && run.report && (
        <p className="notice notice--success" role="status">
          {t('syncPanel.report', {
            pushed: format.number(run.report.pushed),
            applied: format.number(run.report.applied),
            rejected: format.number(run.report.rejected),
            rows: format.number(run.report.rows),
          })}
        </p>
      )}
      <RefusalNotice error={run.error} />

      <h2>{t('syncPanel.errorsTitle')}</h2>
      {(errors.data ?? []).length === 0 ? (
        <p className="empty">{t('syncPanel.noErrors')}</p>
      ) : (
        <ul className="error-log">
          {(errors.data ?? []).map((error) => (
            <li key={`${error.at}-${error.code}`}>
              <time dateTime={error.at}>{format.dateTime(error.at)}</time> <code>{error.code}</code> {error.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
