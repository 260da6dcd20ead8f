// Low-stock and negative-stock notifications (desktop notifications are the shell's); mark read.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Notificacion, type Queued, type TallerError } from '../api';
import { useNotifications } from '../api/hooks';
import { queryKeys } from '../api/queries';
import { RefusalNotice } from '../components/Problems';
import { VirtualList } from '../components/VirtualList';
import { useFormat } from '../i18n';

const KNOWN_TIPOS = ['alerta_stock', 'stock_negativo'] as const;

export function notificationKind(tipo: string): 'alerta_stock' | 'stock_negativo' | 'other' {
  return (KNOWN_TIPOS as readonly string[]).includes(tipo) ? (tipo as 'alerta_stock' | 'stock_negativo') : 'other';
}

export function NotificationsScreen() {
  const { t } = useTranslation();
  const format = useFormat();
  const client = useQueryClient();
  const notifications = useNotifications();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const markRead = useMutation<Queued, TallerError, string>({
    mutationFn: (id) => api.markNotificationRead(id),
    // Shown read at once; `tables-changed` (notificaciones) brings the replica's row.
    onSuccess: (_queued, id) =>
      client.setQueryData<Notificacion[]>(queryKeys.notifications, (list) =>
        list?.map((notification) => (notification.id_notificacion === id ? { ...notification, leida: true } : notification)),
      ),
  });
  const all = notifications.data ?? [];
  const shown = unreadOnly ? all.filter((notification) => !notification.leida) : all;
  const unread = all.filter((notification) => !notification.leida).length;
  return (
    <section className="screen screen--fill" aria-labelledby="notifications-title">
      <div className="screen__head">
        <h1 id="notifications-title">{t('notifications.title')}</h1>
        <p className="count" aria-live="polite">
          {t('notifications.unread', { count: unread, formatted: format.number(unread) })}
        </p>
      </div>
      <div className="toolbar">
        <label className="toggle">
          <input type="checkbox" checked={unreadOnly} onChange={(event) => setUnreadOnly(event.target.checked)} />
          <span>{t('notifications.unreadOnly')}</span>
        </label>
      </div>
      <RefusalNotice error={markRead.error ?? notifications.error ?? null} />
      {notifications.isPending ? (
        <p>{t('common.loading')}</p>
      ) : shown.length === 0 ? (
        <p className="empty">{t('notifications.empty')}</p>
      ) : (
        <VirtualList
          items={shown}
          getKey={(notification) => notification.id_notificacion}
          estimateSize={120}
          label={t('notifications.title')}
          render={(notification) => {
            const kind = notificationKind(notification.tipo);
            return (
              <article className={`card${notification.leida ? ' card--read' : ' card--unread'}`} aria-labelledby={`n-${notification.id_notificacion}`}>
                <div className="card__head">
                  <span className={`badge badge--${kind}`} role="img" aria-label={t(`notifications.kindAria.${kind}`, { tipo: notification.tipo })}>
                    {t(`notifications.kind.${kind}`, { tipo: notification.tipo })}
                  </span>
                  {!notification.leida && <span className="badge badge--unread">{t('notifications.new')}</span>}
                  <time dateTime={notification.created_at} className="muted">
                    {format.dateTime(notification.created_at)}
                  </time>
                </div>
                <h2 id={`n-${notification.id_notificacion}`} className="card__title">
                  {notification.titulo}
                </h2>
                <p>{notification.mensaje}</p>
                {!notification.leida && (
                  <button
                    type="button"
                    className="button"
                    disabled={markRead.isPending && markRead.variables === notification.id_notificacion}
                    onClick={() => markRead.mutate(notification.id_notificacion)}
                  >
                    {t('notifications.markRead')}
                    <span className="visually-hidden">: {notification.titulo}</span>
                  </button>
                )}
              </article>
            );
          }}
        />
      )}
    </section>
  );
}
