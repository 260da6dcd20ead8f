// Sign in online, unlock offline with the credential cached at the last online sign-in, and
// switch user on a shared workstation (each user's pending work stays in their own replica
// and is pushed with their own authority).

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, type Credentials, type TallerError, type UserProfile, type WorkstationUser } from '../api';
import { useAppInfo, useSettings, useStatus, useWorkstationUsers } from '../api/hooks';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { emailProblem, type FieldProblem } from '../domain/validation';
import { useFormat } from '../i18n';
import { useSyncRun } from '../session/syncRun';

export type CredentialMode = 'online' | 'unlock';

/** What a sign-in leads to: the first sync of a new replica is worth watching. */
export interface SignedIn {
  firstSync: boolean;
}

/** Queries that do not depend on who is signed in. */
const KEPT_ACROSS_USERS = ['app_info', 'settings', 'movement_concepts'];

export function credentialProblems(credentials: Credentials): { email?: FieldProblem; password?: FieldProblem } {
  const problems: { email?: FieldProblem; password?: FieldProblem } = {};
  const email = emailProblem(credentials.email);
  if (email) problems.email = email;
  if (credentials.password === '') problems.password = { key: 'required' };
  return problems;
}

/** Signs in (online) or unlocks (offline); on success everything cached belongs to someone
 * else, so the cache starts over, and a first sign-in starts the initial sync. */
function useSignIn(onDone: (profile: UserProfile, signedIn: SignedIn) => void) {
  const client = useQueryClient();
  const syncRun = useSyncRun();
  return useMutation<UserProfile, TallerError, { credentials: Credentials; mode: CredentialMode }>({
    mutationFn: ({ credentials, mode }) => (mode === 'online' ? api.signIn(credentials) : api.unlock(credentials)),
    onSuccess: async (profile, { mode }) => {
      void client.resetQueries({ predicate: (query) => !KEPT_ACROSS_USERS.includes(String(query.queryKey[0])) });
      const status = await api.status().catch(() => null);
      if (mode === 'online') void syncRun.start();
      onDone(profile, { firstSync: mode === 'online' && !status?.last_success });
    },
  });
}

interface CredentialsFormProps {
  /** Users known on this workstation, to unlock without the network. */
  known: WorkstationUser[];
  initialEmail?: string;
  initialMode?: CredentialMode;
  onDone: (profile: UserProfile, signedIn: SignedIn) => void;
}

export function CredentialsForm({ known, initialEmail = '', initialMode = 'online', onDone }: CredentialsFormProps) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [mode, setMode] = useState<CredentialMode>(initialMode);
  const [problems, setProblems] = useState<ReturnType<typeof credentialProblems>>({});
  const emailInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const signIn = useSignIn(onDone);
  const knownUser = known.find((user) => user.email.toLowerCase() === email.trim().toLowerCase());
  const canUnlock = knownUser?.can_unlock ?? false;

  useEffect(() => {
    setEmail(initialEmail);
    setMode(initialMode);
    setPassword('');
    (initialEmail ? passwordInput : emailInput).current?.focus();
  }, [initialEmail, initialMode]);

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    const found = credentialProblems({ email, password });
    setProblems(found);
    if (found.email) return emailInput.current?.focus();
    if (found.password) return passwordInput.current?.focus();
    signIn.mutate({ credentials: { email: email.trim(), password }, mode });
  };

  const offlineHint = signIn.error?.code === 'offline' && mode === 'online' && canUnlock;
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-labelledby="credentials-title">
      <h2 id="credentials-title">{mode === 'online' ? t('signIn.onlineTitle') : t('signIn.unlockTitle')}</h2>
      <p className="lead">{mode === 'online' ? t('signIn.onlineLead') : t('signIn.unlockLead')}</p>
      <div className="field">
        <label className="field__label" htmlFor="sign-in-email">
          {t('signIn.email')}
        </label>
        <input
          id="sign-in-email"
          ref={emailInput}
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
            signIn.reset();
          }}
          aria-invalid={problems.email ? true : undefined}
          aria-describedby={problems.email ? 'sign-in-email-error' : undefined}
          aria-required="true"
        />
        <FieldMessage id="sign-in-email-error" problem={problems.email} />
      </div>
      <div className="field">
        <label className="field__label" htmlFor="sign-in-password">
          {t('signIn.password')}
        </label>
        <input
          id="sign-in-password"
          ref={passwordInput}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            signIn.reset();
          }}
          aria-invalid={problems.password ? true : undefined}
          aria-describedby={problems.password ? 'sign-in-password-error' : undefined}
          aria-required="true"
        />
        <FieldMessage id="sign-in-password-error" problem={problems.password} />
      </div>
      <div className="form__actions">
        <button type="submit" className="button button--primary button--large" disabled={signIn.isPending}>
          {signIn.isPending ? t('common.wait') : mode === 'online' ? t('signIn.submitOnline') : t('signIn.submitUnlock')}
        </button>
        {mode === 'unlock' ? (
          <button type="button" className="button" onClick={() => setMode('online')}>
            {t('signIn.useOnline')}
          </button>
        ) : (
          canUnlock && (
            <button type="button" className="button" onClick={() => setMode('unlock')}>
              {t('signIn.useUnlock')}
            </button>
          )
        )}
      </div>
      <RefusalNotice error={signIn.error}>
        {offlineHint && (
          <p>
            {t('signIn.offlineHint')}{' '}
            <button
              type="button"
              className="button button--primary"
              onClick={() => {
                setMode('unlock');
                signIn.reset();
                signIn.mutate({ credentials: { email: email.trim(), password }, mode: 'unlock' });
              }}
            >
              {t('signIn.unlockNow')}
            </button>
          </p>
        )}
      </RefusalNotice>
    </form>
  );
}

function KnownUsers({ users, onChoose, title }: { users: WorkstationUser[]; onChoose: (user: WorkstationUser) => void; title: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (users.length === 0) return null;
  return (
    <section aria-labelledby="known-users-title" className="known-users">
      <h2 id="known-users-title">{title}</h2>
      <ul className="user-list">
        {users.map((user) => (
          <li key={user.id_usuario}>
            <button type="button" className="user-button" onClick={() => onChoose(user)} aria-current={user.current ? 'true' : undefined}>
              <span className="user-button__name">{user.nombre_completo ?? user.email}</span>
              <span className="user-button__email">{user.email}</span>
              <span className={`user-button__pending${user.pending > 0 ? ' user-button__pending--some' : ''}`}>
                {t('switchUser.pending', { count: user.pending, formatted: format.number(user.pending) })}
              </span>
              {user.current && <span className="badge badge--current">{t('switchUser.current')}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function SignInScreen() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const info = useAppInfo();
  const settings = useSettings();
  const status = useStatus();
  const users = useWorkstationUsers();
  const known = users.data ?? [];
  const [chosen, setChosen] = useState<{ email: string; mode: CredentialMode }>({ email: '', mode: 'online' });
  const done = (_profile: UserProfile, signedIn: SignedIn) => void navigate(signedIn.firstSync ? '/sync' : '/inventory');
  return (
    <main className="public" id="main">
      <div className="public__card public__card--wide">
        <h1 className="brand brand--large">Taller</h1>
        {status.data?.update_required && (
          <div className="notice notice--error" role="alert">
            {t('update.body')}
          </div>
        )}
        <div className="public__columns">
          <div>
            <CredentialsForm known={known} initialEmail={chosen.email} initialMode={chosen.mode} onDone={done} />
            <p className="server-line">
              {settings.data?.server_url ? (
                <>
                  {t('signIn.server')} <span className="mono">{settings.data.server_url}</span>
                </>
              ) : (
                <span className="notice notice--warning">{t('signIn.noServer')}</span>
              )}{' '}
              <Link to="/settings">{t('signIn.changeServer')}</Link>
            </p>
          </div>
          <div>
            <KnownUsers
              users={known.filter((user) => user.can_unlock)}
              title={t('signIn.knownUsers')}
              onChoose={(user) => setChosen({ email: user.email, mode: 'unlock' })}
            />
            {info.data?.demo && (
              <section aria-labelledby="demo-title" className="demo-accounts">
                <h2 id="demo-title">{t('signIn.demoTitle')}</h2>
                <p className="lead">{t('signIn.demoLead')}</p>
                <ul className="user-list">
                  {info.data.demo.accounts.map((account) => (
                    <li key={account.email}>
                      <DemoButton email={account.email} password={account.password} name={account.nombre_completo} role={account.nombre_rol} onDone={done} />
                    </li>
                  ))}
                </ul>
              </section>
            )}
          </div>
        </div>
      </div>
    </main>
  );
}

/** A demo account signs in with one press (its password is public: it is the demo's). */
function DemoButton({ email, password, name, role, onDone }: { email: string; password: string; name: string; role: string; onDone: (profile: UserProfile, signedIn: SignedIn) => void }) {
  const { t } = useTranslation();
  const signIn = useSignIn(onDone);
  return (
    <>
      <button type="button" className="user-button" onClick={() => signIn.mutate({ credentials: { email, password }, mode: 'online' })} disabled={signIn.isPending}>
        <span className="user-button__name">{name}</span>
        <span className="user-button__email">
          {email} · {role}
        </span>
        <span className="user-button__pending">{signIn.isPending ? t('common.wait') : t('signIn.demoEnter')}</span>
      </button>
      <RefusalNotice error={signIn.error} />
    </>
  );
}

export function SwitchUserScreen() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const users = useWorkstationUsers();
  const client = useQueryClient();
  const known = users.data ?? [];
  const [chosen, setChosen] = useState<{ email: string; mode: CredentialMode }>({ email: '', mode: 'online' });
  const signOut = useMutation<null, TallerError, void>({
    mutationFn: () => api.signOut(),
    onSuccess: () => {
      void client.resetQueries({ predicate: (query) => !KEPT_ACROSS_USERS.includes(String(query.queryKey[0])) });
      void navigate('/');
    },
  });
  return (
    <section className="screen" aria-labelledby="switch-title">
      <h1 id="switch-title">{t('switchUser.title')}</h1>
      <p className="lead">{t('switchUser.lead')}</p>
      <div className="public__columns">
        <KnownUsers
          users={known}
          title={t('switchUser.known')}
          onChoose={(user) => setChosen({ email: user.email, mode: user.can_unlock ? 'unlock' : 'online' })}
        />
        <div>
          <CredentialsForm known={known} initialEmail={chosen.email} initialMode={chosen.mode} onDone={(_profile, signedIn) => void navigate(signedIn.firstSync ? '/sync' : '/inventory')} />
          <div className="form__actions">
            <button type="button" className="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
              {t('switchUser.signOut')}
            </button>
          </div>
          <RefusalNotice error={signOut.error} />
        </div>
      </div>
    </section>
  );
}
