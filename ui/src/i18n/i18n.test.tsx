import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SETTINGS, installShell, inventoryRow, renderApp } from '../test/shell';
import { createI18n } from './index';
import { localeFor, makeFormatter } from './format';

describe('languages', () => {
  it('Spanish by default', async () => {
    installShell();
    renderApp('/inventory');
    expect(await screen.findByRole('link', { name: /Inventario/ })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
  });

  it('switching to English in the settings changes the UI at once and tells the library', async () => {
    const shell = installShell();
    renderApp('/settings');
    await userEvent.click(await screen.findByRole('radio', { name: 'English' }));
    await userEvent.click(screen.getByRole('button', { name: 'Guardar' }));
    await waitFor(() => expect(shell.callsOf('save_settings')).toEqual([{ ...SETTINGS, lang: 'en' }]));
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Inventory/ })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('en');
  });

  it('starts in the workstation language the library has', async () => {
    installShell({ settings: () => ({ ...SETTINGS, lang: 'en' }), inventory_page: (query) => ({ rows: [inventoryRow(0, { stock_actual: 12345 })], offset: query.offset ?? 0, total: 1 }) });
    renderApp('/inventory');
    expect(await screen.findByRole('heading', { name: /Inventory/ })).toBeInTheDocument();
    expect(await screen.findByText('12,345')).toBeInTheDocument();
  });

  it('numbers and dates go through Intl in the user locale', async () => {
    installShell({ inventory_page: (query) => ({ rows: [inventoryRow(0, { stock_actual: 12345 })], offset: query.offset ?? 0, total: 1 }) });
    renderApp('/inventory');
    expect(await screen.findByText('12.345')).toBeInTheDocument();
  });

  it('the locale is the chosen language, with the system region when it speaks it', () => {
    expect(localeFor('es', ['es-CO', 'en-US'])).toBe('es-CO');
    expect(localeFor('en', ['es-CO', 'en-GB'])).toBe('en-GB');
    expect(localeFor('en', ['es-CO'])).toBe('en');
    const es = makeFormatter('es-CO');
    expect(es.number(100000)).toBe('100.000');
    expect(es.signed(-3)).toBe('-3');
    expect(es.signed(2)).toBe('+2');
    const en = makeFormatter('en-US');
    expect(en.dateTime('2026-12-01T15:04:00Z')).toMatch(/Dec 1, 2026/);
    expect(es.dateTime('not a date')).toBe('not a date');
  });

  it('every Spanish key has an English text and plural forms exist for counts', () => {
    const es = createI18n('es');
    const en = createI18n('en');
    expect(es.t('inventory.count', { count: 1, formatted: '1' })).toBe('1 repuesto');
    expect(es.t('inventory.count', { count: 1_000_000, formatted: '1.000.000' })).toBe('1.000.000 repuestos');
    expect(en.t('inventory.count', { count: 2, formatted: '2' })).toBe('2 parts');
  });
});
