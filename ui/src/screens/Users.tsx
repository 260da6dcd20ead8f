// Administration (`users.manage`): the accounts, waiting ones first; approve, reject with a
// reason, and the locations each account works at.

import { useMutation } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Queued, type TallerError, type UserAccount } from '../api';
import { useLocations, useUsers } from '../api/hooks';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { accountActions, accountCounts, ACCOUNT_FILTERS, assignableLocations, rejectionProblem, shownAccounts, type AccountFilter } from '../domain/users';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';
import { LocationsSection, RolesSection } from './Locations';

export function UsersScreen() {
  const { t } = useTranslation();
  const session = useSession();
  const users = useUsers();
  const [filter, setFilter] = useState<AccountFilter>('pendiente');
  const [search, setSearch] = useState('');
  const all = users.data ?? [];
  const counts = accountCounts(all);
  const shown = shownAccounts(all, filter, search);
  if (!session.canManageUsers) {
    return (
      <section className="screen" aria-labelledby="users-title">
        <h1 id="users-title">{t('users.title')}</h1>
        <p className="notice">{t('users.notAllowed')}</p>
      </section>
    );
  }
  return (
    <section className="screen" aria-labelledby="users-title">
      <div className="screen__head">
        <h1 id="users-title">{t('users.title')}</h1>
        <p className="count" aria-live="polite">
          {t('users.waiting', { count: counts.pendiente })}
        </p>
      </div>
      <div className="toolbar">
        <div className="choices" role="group" aria-label={t('users.filterLabel')}>
          {ACCOUNT_FILTERS.map((candidate) => (
            <button key={candidate} type="button" className="choice" aria-pressed={filter === candidate} onClick={() => setFilter(candidate)}>
              {t(`users.filter.${candidate}`)} ({counts[candidate]})
            </button>
          ))}
        </div>
        <label className="search users-search">
          <span className="visually-hidden">{t('users.search')}</span>
          <input type="search" value={search} placeholder={t('users.search')} onChange={(event) => setSearch(event.target.value)} />
        </label>
      </div>
      {users.error ? (
        <RefusalNotice error={users.error} />
      ) : users.isPending ? (
        <p>{t('common.loading')}</p>
      ) : shown.length === 0 ? (
        <p className="empty">{t(filter === 'pendiente' && search === '' ? 'users.noneWaiting' : 'users.none')}</p>
      ) : (
        <ul className="account-list" aria-label={t('users.listLabel')}>
          {shown.map((account) => (
            <li key={account.id_usuario}>
              <AccountCard account={account} own={account.id_usuario === session.user.id_usuario} />
            </li>
          ))}
        </ul>
      )}
      <LocationsSection />
      <RolesSection />
    </section>
  );
}

function AccountCard({ account, own }: { account: UserAccount; own: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const locations = useLocations();
  const reasonId = useId();
  const titleId = useId();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const [adding, setAdding] = useState('');
  const approve = useMutation<Queued, TallerError>({ mutationFn: () => api.approveUser(account.id_usuario) });
  const reject = useMutation<Queued, TallerError>({
    mutationFn: () => api.rejectUser({ user: account.id_usuario, motivo_rechazo: reason.trim() }),
    onSuccess: () => {
      setRejecting(false);
      setReason('');
      setTried(false);
    },
  });
  const assign = useMutation<Queued, TallerError, string>({
    mutationFn: (location) => api.assignUser({ user: account.id_usuario, location }),
    onSuccess: () => setAdding(''),
  });
  const unassign = useMutation<Queued, TallerError, string>({
    mutationFn: (location) => api.unassignUser({ user: account.id_usuario, location }),
  });
  const assignable = useMemo(() => assignableLocations(account, locations.data ?? []), [account, locations.data]);
  const problem = tried ? rejectionProblem(reason) : null;
  const error = approve.error ?? reject.error ?? assign.error ?? unassign.error ?? null;
  const actions = accountActions(account.estado, own);
  return (
    <article className={`card account account--${account.estado}`} aria-labelledby={titleId}>
      <div className="card__head">
        <span className={`badge badge--account-${account.estado}`}>{t(`users.estado.${account.estado}`)}</span>
        <h2 id={titleId} className="card__title">
          {account.nombre_completo}
          {own && <span className="badge badge--current">{t('users.you')}</span>}
        </h2>
        <span className="muted">{account.email}</span>
      </div>
      <p className="account__facts">
        {t('users.role', { role: account.nombre_rol ?? '?' })} · {t('users.since', { date: format.dateTime(account.created_at) })}
        {account.estado === 'rechazado' && account.motivo_rechazo && <> · {t('users.rejectedBecause', { reason: account.motivo_rechazo })}</>}
      </p>
      <div className="account__locations">
        <span className="account__label">{t('users.locations')}</span>
        {account.is_admin && <span className="muted">{t('users.allLocations')}</span>}
        {account.localizaciones.length === 0 ? (
          account.is_admin ? null : (
          <span className="muted">{t('users.noLocations')}</span>
          )
        ) : (
          <ul className="chips" aria-label={t('users.locationsOf', { name: account.nombre_completo })}>
            {account.localizaciones.map((location) => (
              <li key={location.id_localizacion} className="chip">
                {location.nombre}
                <button
                  type="button"
                  className="chip__remove"
                  aria-label={t('users.unassign', { location: location.nombre, name: account.nombre_completo })}
                  disabled={unassign.isPending}
                  onClick={() => unassign.mutate(location.id_localizacion)}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        {assignable.length > 0 && (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (adding !== '') assign.mutate(adding);
            }}
          >
            <label>
              <span className="visually-hidden">{t('users.addLocation')}</span>
              <select value={adding} onChange={(event) => setAdding(event.target.value)}>
                <option value="">{t('users.pickLocation')}</option>
                {assignable.map((location) => (
                  <option key={location.id_localizacion} value={location.id_localizacion}>
                    {location.nombre}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="button" disabled={adding === '' || assign.isPending}>
              {t('users.assign')}
            </button>
          </form>
        )}
      </div>
      <RefusalNotice error={error} />
      {rejecting ? (
        <form
          className="account__reject"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            setTried(true);
            if (!rejectionProblem(reason)) reject.mutate();
          }}
        >
          <label htmlFor={reasonId}>{t('users.reason')}</label>
          <input
            id={reasonId}
            value={reason}
            autoFocus
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${reasonId}-problem` : undefined}
            onChange={(event) => setReason(event.target.value)}
          />
          <FieldMessage id={`${reasonId}-problem`} problem={problem ?? undefined} />
          <div className="actions">
            <button type="submit" className="button button--danger" disabled={reject.isPending}>
              {t('users.confirmReject')}
            </button>
            <button type="button" className="button" onClick={() => setRejecting(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        actions.length > 0 && (
          <div className="actions">
            {actions.includes('approve') && (
              <button type="button" className="button button--primary button--large" disabled={approve.isPending} onClick={() => approve.mutate()}>
                {t('users.approve')}
                <span className="visually-hidden">: {account.nombre_completo}</span>
              </button>
            )}
            {actions.includes('reject') && (
              <button type="button" className="button button--danger" onClick={() => setRejecting(true)}>
                {t('users.reject')}
                <span className="visually-hidden">: {account.nombre_completo}</span>
              </button>
            )}
          </div>
        )
      )}
    </article>
  );
}
