// Dates and numbers through Intl, in the user's locale: the chosen language, with the
// region of the system's locale when it speaks the same language (es + es-CO → es-CO).

import type { Lang } from '../api';

export function localeFor(lang: Lang, systemLocales: readonly string[]): string {
  const sameLanguage = systemLocales.find((tag) => tag.toLowerCase().split('-')[0] === lang);
  return sameLanguage ?? lang;
}

export function systemLocales(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

export interface Formatter {
  locale: string;
  number(value: number): string;
  /** A signed change: +3, −2 (with a real minus sign), 0. */
  signed(value: number): string;
  percent(fraction: number): string;
  dateTime(timestamp: string): string;
  time(timestamp: string): string;
  /** A calendar date without a time (`2026-12-31`), as the day it names in any time zone. */
  day(isoDate: string): string;
}

export function makeFormatter(locale: string): Formatter {
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const signed = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, signDisplay: 'exceptZero' });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const time = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });
  const day = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const parse = (timestamp: string): Date | null => {
    const date = new Date(timestamp);
    return Number.isNaN(date.getTime()) ? null : date;
  };
  return {
    locale,
    number: (value) => number.format(value),
    signed: (value) => signed.format(value),
    percent: (fraction) => percent.format(fraction),
    dateTime: (timestamp) => {
      const date = parse(timestamp);
      return date ? dateTime.format(date) : timestamp;
    },
    time: (timestamp) => {
      const date = parse(timestamp);
      return date ? time.format(date) : timestamp;
    },
    day: (isoDate) => {
      const date = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? parse(`${isoDate}T00:00:00Z`) : null;
      return date ? day.format(date) : isoDate;
    },
  };
}
