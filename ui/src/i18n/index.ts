// The UI's own words, Spanish first. Messages of rejections and errors are not here: they
// come from the library already in the user's language (CommandError.message).

import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { useMemo } from 'react';
import type { Lang } from '../api';
import { es } from './es';
import { en } from './en';
import { localeFor, makeFormatter, systemLocales, type Formatter } from './format';

export const LANGS: readonly Lang[] = ['es', 'en'];

export const resources = { es: { translation: es }, en: { translation: en } } as const;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof es };
  }
}

/** A fresh i18next instance (tests make one each; the app one). */
export function createI18n(lang: Lang = 'es'): I18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    resources,
    lng: lang,
    fallbackLng: 'es',
    supportedLngs: LANGS,
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  return instance;
}

export function asLang(value: string | undefined): Lang {
  return value?.toLowerCase().startsWith('en') ? 'en' : 'es';
}

/** Intl formatting in the current language's locale. */
export function useFormat(): Formatter {
  const { i18n } = useTranslation();
  const lang = asLang(i18n.language);
  return useMemo(() => makeFormatter(localeFor(lang, systemLocales())), [lang]);
}
