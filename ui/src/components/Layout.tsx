import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useInbox, useNotifications, useStatus } from '../api/hooks';
import { isTyping, navigationFor, visibleNavigation } from '../hooks/shortcuts';
import { useSession } from '../session/session';
import { useSyncRun } from '../session/syncRun';
import { HelpOverlay } from './HelpOverlay';
import { SyncIndicator } from './SyncIndicator';

export function Layout() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const session = useSession();
  const status = useStatus();
  const syncRun = useSyncRun();
  const notifications = useNotifications();
  const inbox = useInbox();
  const [help, setHelp] = useState(false);
  const navigation = visibleNavigation(session.canManageUsers);
  const unread = notifications.data?.filter((notification) => !notification.leida).length ?? 0;
  const open = inbox.data?.filter((entry) => !entry.reviewed).length ?? status.data?.conflicts ?? 0;

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (event.altKey && !event.ctrlKey && !event.metaKey) {
        const item = navigationFor(navigation, event.key, event.code);
        if (item) {
          event.preventDefault();
          void navigate(item.path);
          return;
        }
      }
      if (event.key === 'F1' || (event.key === '?' && !isTyping(event.target))) {
        event.preventDefault();
        setHelp(true);
        return;
      }
      if (event.key === 'F9') {
        event.preventDefault();
        void syncRun.start();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [navigate, syncRun, navigation]);

  const counts: Record<string, number> = { '/notifications': unread, '/inbox': open };

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>
        {t('nav.skip')}
      </a>
      <header className="app-header">
        <span className="brand">Taller</span>
        {session.locations.length > 1 ? (
          <label className="location-picker">
            <span>{t('header.location')}</span>
            <select
              value={session.location?.id_localizacion ?? ''}
              onChange={(event) => session.setLocation(event.target.value)}
            >
              {session.locations.map((location) => (
                <option key={location.id_localizacion} value={location.id_localizacion}>
                  {location.nombre}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="location-picker location-picker--single">
            <span>{t('header.location')}</span> <strong>{session.location?.nombre ?? t('header.noLocation')}</strong>
          </span>
        )}
        <div className="app-header__spacer" />
        {status.data && <SyncIndicator status={status.data} />}
        <div className="user-box">
          <span className="user-box__name">{session.user.nombre_completo}</span>
          <span className="user-box__role">{session.user.nombre_rol}</span>
        </div>
        <button type="button" className="button button--ghost" onClick={() => setHelp(true)} aria-keyshortcuts="F1">
          {t('help.button')}
        </button>
      </header>
      {status.data?.update_required && (
        <div className="banner banner--error" role="alert">
          <strong>{t('update.title')}.</strong> {t('update.body')}
        </div>
      )}
      <nav className="app-nav" aria-label={t('nav.label')}>
        <ul>
          {navigation.map((item) => {
            const count = counts[item.path] ?? 0;
            return (
              <li key={item.path}>
                <NavLink to={item.path} aria-keyshortcuts={`Alt+${item.key}`}>
                  <span className="app-nav__label">{t(item.label)}</span>
                  {count > 0 && (
                    <span className="count-badge" role="img" aria-label={t(item.path === '/inbox' ? 'nav.openCount' : 'nav.unreadCount', { count })}>
                      {count}
                    </span>
                  )}
                  <kbd className="app-nav__key" aria-hidden="true">Alt+{item.key}</kbd>
                </NavLink>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}
