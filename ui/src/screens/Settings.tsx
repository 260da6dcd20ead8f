// Settings of this workstation: the server's address, the language, the sync interval.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Lang, type Settings, type TallerError } from '../api';
import { useSettings } from '../api/hooks';
import { queryKeys } from '../api/queries';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { parseWhole, serverUrlProblem, type FieldProblem } from '../domain/validation';
import { LANGS } from '../i18n';

export const INTERVAL_MIN = 10;
export const INTERVAL_MAX = 3600;

interface SettingsDraft {
  server_url: string;
  lang: Lang;
  sync_interval_seconds: string;
}

export function settingsProblems(draft: SettingsDraft): { server_url?: FieldProblem; sync_interval_seconds?: FieldProblem } {
  const problems: { server_url?: FieldProblem; sync_interval_seconds?: FieldProblem } = {};
  const url = serverUrlProblem(draft.server_url);
  if (url) problems.server_url = url;
  const seconds = parseWhole(draft.sync_interval_seconds);
  if (draft.sync_interval_seconds.trim() === '') problems.sync_interval_seconds = { key: 'required' };
  else if (seconds === null || seconds < INTERVAL_MIN || seconds > INTERVAL_MAX) {
    problems.sync_interval_seconds = { key: 'range', values: { min: INTERVAL_MIN, max: INTERVAL_MAX } };
  }
  return problems;
}

export function SettingsScreen() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const settings = useSettings();
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [problems, setProblems] = useState<ReturnType<typeof settingsProblems>>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (settings.data && draft === null) {
      setDraft({
        server_url: settings.data.server_url ?? '',
        lang: settings.data.lang,
        sync_interval_seconds: String(settings.data.sync_interval_seconds),
      });
    }
  }, [settings.data, draft]);
  const save = useMutation<Settings, TallerError, Settings>({
    mutationFn: (next) => api.saveSettings(next),
    onSuccess: (next) => {
      // The app follows the settings' language (App.tsx): the UI switches at once.
      client.setQueryData(queryKeys.settings, next);
      setSaved(true);
    },
  });
  if (!draft) return <p className="screen">{t('common.loading')}</p>;
  const change = (part: Partial<SettingsDraft>) => {
    setDraft({ ...draft, ...part });
    setSaved(false);
    if (save.error) save.reset();
  };
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    const found = settingsProblems(draft);
    setProblems(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(found.server_url ? 'settings-server' : 'settings-interval')?.focus();
      return;
    }
    save.mutate({ server_url: draft.server_url.trim(), lang: draft.lang, sync_interval_seconds: parseWhole(draft.sync_interval_seconds) ?? 30 });
  };
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">{t('settings.title')}</h1>
      <form className="form" onSubmit={onSubmit} noValidate>
        <div className="field">
          <label className="field__label" htmlFor="settings-server">
            {t('settings.server')}
          </label>
          <input
            id="settings-server"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://taller.example:8080"
            value={draft.server_url}
            onChange={(event) => change({ server_url: event.target.value })}
            aria-invalid={problems.server_url ? true : undefined}
            aria-describedby={problems.server_url ? 'settings-server-error' : 'settings-server-hint'}
          />
          <p id="settings-server-hint" className="field__hint">
            {t('settings.serverHint')}
          </p>
          <FieldMessage id="settings-server-error" problem={problems.server_url} />
        </div>
        <fieldset className="field">
          <legend className="field__label">{t('settings.language')}</legend>
          <div className="choices">
            {LANGS.map((lang) => (
              <label key={lang} className="choice">
                <input type="radio" name="lang" value={lang} checked={draft.lang === lang} onChange={() => change({ lang })} />
                <span lang={lang}>{t(`settings.languages.${lang}`)}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field field--narrow">
          <label className="field__label" htmlFor="settings-interval">
            {t('settings.interval')}
          </label>
          <input
            id="settings-interval"
            inputMode="numeric"
            value={draft.sync_interval_seconds}
            onChange={(event) => change({ sync_interval_seconds: event.target.value })}
            aria-invalid={problems.sync_interval_seconds ? true : undefined}
            aria-describedby={problems.sync_interval_seconds ? 'settings-interval-error' : 'settings-interval-hint'}
          />
          <p id="settings-interval-hint" className="field__hint">
            {t('settings.intervalHint', { min: INTERVAL_MIN, max: INTERVAL_MAX })}
          </p>
          <FieldMessage id="settings-interval-error" problem={problems.sync_interval_seconds} />
        </div>
        <div className="form__actions">
          <button type="submit" className="button button--primary button--large" disabled={save.isPending}>
            {save.isPending ? t('common.saving') : t('common.save')}
          </button>
        </div>
        {saved && (
          <p className="notice notice--success" role="status">
            {t('settings.saved')}
          </p>
        )}
        <RefusalNotice error={save.error} />
      </form>
    </section>
  );
}
