// The conflict inbox: each rejected or overridden change says what happened, why, and what
// the person can do. The three texts are the library's, in the user's language; the UI adds
// its own labels and, for a field edit, both values.

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type InboxEntry, type InboxEntryRef, type TallerError } from '../api';
import { useInbox } from '../api/hooks';
import { RefusalNotice } from '../components/Problems';
import { VirtualList } from '../components/VirtualList';
import { useFormat } from '../i18n';
import { showValue } from './PartDetail';

export function InboxCard({ entry, onDismiss, dismissing }: { entry: InboxEntry; onDismiss: () => void; dismissing: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const titleId = `inbox-${entry.id}`;
  return (
    <article className={`card card--${entry.kind}${entry.reviewed ? ' card--read' : ''}`} aria-labelledby={titleId} data-kind={entry.kind}>
      <div className="card__head">
        <span className={`badge badge--kind-${entry.kind}`} role="img" aria-label={t('inbox.kindAria', { kind: t(`inbox.kind.${entry.kind}`) })}>
          {t(`inbox.kind.${entry.kind}`)}
        </span>
        <span className="muted">{t(`actions.${entry.action}`, { defaultValue: entry.action })}</span>
        <time dateTime={entry.at} className="muted">
          {format.dateTime(entry.at)}
        </time>
      </div>
      <h2 id={titleId} className="card__title">
        {entry.what}
      </h2>
      <dl className="explain">
        <div>
          <dt>{t('inbox.why')}</dt>
          <dd>{entry.why}</dd>
        </div>
        <div>
          <dt>{t('inbox.nextStep')}</dt>
          <dd>{entry.next_step}</dd>
        </div>
      </dl>
      {entry.kind === 'edicion_campo' && entry.conflict && (
        <dl className="values" aria-label={t('inbox.bothValues')}>
          <div>
            <dt>{t('conflict.replaced')}</dt>
            <dd>{showValue(entry.conflict.valor_reemplazado, t('common.empty'))}</dd>
          </div>
          <div>
            <dt>{entry.conflict.otro_usuario ? t('conflict.serverBy', { name: entry.conflict.otro_usuario }) : t('conflict.server')}</dt>
            <dd>{showValue(entry.conflict.valor_servidor, t('common.empty'))}</dd>
          </div>
          <div>
            <dt>{t('conflict.current')}</dt>
            <dd>{showValue(entry.conflict.valor_nuevo, t('common.empty'))}</dd>
          </div>
        </dl>
      )}
      {entry.rejection && (
        <p className="notice__code">
          {t('errors.code')}: <code>{entry.rejection.code}</code>
        </p>
      )}
      {!entry.reviewed && (
        <button type="button" className="button" onClick={onDismiss} disabled={dismissing}>
          {t('inbox.dismiss')}
          <span className="visually-hidden">: {entry.what}</span>
        </button>
      )}
    </article>
  );
}

export function InboxScreen() {
  const { t } = useTranslation();
  const format = useFormat();
  const inbox = useInbox();
  const [showReviewed, setShowReviewed] = useState(false);
  const dismiss = useMutation<null, TallerError, InboxEntryRef>({ mutationFn: (entry) => api.dismissInboxEntry(entry) });
  const all = inbox.data ?? [];
  const open = all.filter((entry) => !entry.reviewed);
  const shown = showReviewed ? all : open;
  return (
    <section className="screen screen--fill" aria-labelledby="inbox-title">
      <div className="screen__head">
        <h1 id="inbox-title">{t('inbox.title')}</h1>
        <p className="count" aria-live="polite">
          {t('inbox.open', { count: open.length, formatted: format.number(open.length) })}
        </p>
      </div>
      <p className="lead">{t('inbox.lead')}</p>
      <div className="toolbar">
        <label className="toggle">
          <input type="checkbox" checked={showReviewed} onChange={(event) => setShowReviewed(event.target.checked)} />
          <span>{t('inbox.showReviewed')}</span>
        </label>
      </div>
      <RefusalNotice error={dismiss.error ?? inbox.error ?? null} />
      {inbox.isPending ? (
        <p>{t('common.loading')}</p>
      ) : shown.length === 0 ? (
        <p className="empty">{t('inbox.empty')}</p>
      ) : (
        <VirtualList
          items={shown}
          getKey={(entry) => `${entry.kind}-${entry.id}`}
          estimateSize={220}
          label={t('inbox.title')}
          render={(entry) => (
            <InboxCard
              entry={entry}
              dismissing={dismiss.isPending && dismiss.variables?.id === entry.id}
              onDismiss={() => dismiss.mutate({ id: entry.id, kind: entry.kind })}
            />
          )}
        />
      )}
    </section>
  );
}
