import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { i18n as I18n } from 'i18next';
import { useEffect } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { HashRouter, Navigate, Route, Routes } from 'react-router';
import { useCurrentUser, useSettings, useStatus } from './api/hooks';
import { useShellEvents } from './api/queries';
import { Layout } from './components/Layout';
import { asLang } from './i18n';
import { CountScreen, CountsScreen } from './screens/Counts';
import { ImportScreen } from './screens/Import';
import { InboxScreen } from './screens/Inbox';
import { InventoryScreen } from './screens/Inventory';
import { MovementScreen } from './screens/Movement';
import { NotificationsScreen } from './screens/Notifications';
import { NewOrderScreen, OrdersScreen } from './screens/Orders';
import { PartDetailScreen } from './screens/PartDetail';
import { SettingsScreen } from './screens/Settings';
import { SignInScreen, SwitchUserScreen } from './screens/SignIn';
import { SyncPanel } from './screens/SyncPanel';
import { RequestScreen, TransfersScreen } from './screens/Transfers';
import { UpdateRequired } from './screens/UpdateRequired';
import { UsersScreen } from './screens/Users';
import { NewWarrantyScreen, WarrantiesScreen, WarrantyScreen } from './screens/Warranties';
import { SessionProvider } from './session/session';
import { SyncRunProvider } from './session/syncRun';

export function App({ queryClient, i18n }: { queryClient: QueryClient; i18n: I18n }) {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nextProvider i18n={i18n}>
        <SyncRunProvider>
          <HashRouter>
            <Root />
          </HashRouter>
        </SyncRunProvider>
      </I18nextProvider>
    </QueryClientProvider>
  );
}

/** Follows the workstation's language (the library renders its messages in the same one). */
function useLanguage() {
  const { i18n } = useTranslation();
  const settings = useSettings();
  const lang = settings.data?.lang;
  useEffect(() => {
    if (lang && asLang(i18n.language) !== lang) void i18n.changeLanguage(lang);
  }, [lang, i18n]);
  useEffect(() => {
    const sync = (language: string) => {
      document.documentElement.lang = asLang(language);
    };
    sync(i18n.language);
    i18n.on('languageChanged', sync);
    return () => i18n.off('languageChanged', sync);
  }, [i18n]);
}

export function Root() {
  const { t } = useTranslation();
  useShellEvents();
  useLanguage();
  const status = useStatus();
  const user = useCurrentUser();
  if (user.isPending || status.isPending) {
    return (
      <main className="public" id="main">
        <p className="public__card" role="status">
          {t('common.loading')}
        </p>
      </main>
    );
  }
  if (!user.data) {
    if (status.data?.update_required) return <UpdateRequired />;
    return (
      <Routes>
        <Route
          path="/settings"
          element={
            <main className="public" id="main">
              <div className="public__card">
                <SettingsScreen />
                <a href="#/" className="back-link">
                  ← {t('signIn.back')}
                </a>
              </div>
            </main>
          }
        />
        <Route path="*" element={<SignInScreen />} />
      </Routes>
    );
  }
  return (
    <SessionProvider user={user.data} key={user.data.id_usuario}>
      <Routes>
        <Route element={<Layout />}>
          <Route path="/inventory" element={<InventoryScreen />} />
          <Route path="/import" element={<ImportScreen />} />
          <Route path="/parts/:id" element={<PartDetailScreen />} />
          <Route path="/movement" element={<MovementScreen />} />
          <Route path="/transfers" element={<TransfersScreen />} />
          <Route path="/transfers/:id" element={<RequestScreen />} />
          <Route path="/counts" element={<CountsScreen />} />
          <Route path="/counts/:id" element={<CountScreen />} />
          <Route path="/warranties" element={<WarrantiesScreen />} />
          <Route path="/warranties/new" element={<NewWarrantyScreen />} />
          <Route path="/warranties/:id" element={<WarrantyScreen />} />
          <Route path="/orders" element={<OrdersScreen />} />
          <Route path="/orders/new" element={<NewOrderScreen />} />
          <Route path="/notifications" element={<NotificationsScreen />} />
          <Route path="/inbox" element={<InboxScreen />} />
          <Route path="/sync" element={<SyncPanel />} />
          <Route path="/settings" element={<SettingsScreen />} />
          <Route path="/switch-user" element={<SwitchUserScreen />} />
          <Route path="/users" element={<UsersScreen />} />
          <Route path="*" element={<Navigate to="/inventory" replace />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
