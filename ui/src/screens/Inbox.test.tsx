import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { InboxEntry, InboxKind } from '../api';
import { installShell, renderApp } from '../test/shell';

function entry(kind: InboxKind, overrides: Partial<InboxEntry> = {}): InboxEntry {
  return {
    id: `id-${kind}`,
    kind,
    action: 'movement.record',
    at: '2026-12-01T09:30:00Z',
    what: `qué pasó (${kind})`,
    why: `por qué (${kind})`,
    next_step: `qué hacer (${kind})`,
    reviewed: false,
    rejection: null,
    conflict: null,
    ...overrides,
  };
}

const ENTRIES: InboxEntry[] = [
  entry('rechazo', {
    what: 'Su salida de 3 × MTR-500W-48V en Taller Norte fue rechazada.',
    why: 'Stock insuficiente: hay 1 y se piden 3.',
    next_step: 'Cuente lo que hay en el estante y registre la salida con esa cantidad.',
    rejection: { code: 'insufficient_stock', params: { available: 1, requested: 3 } },
  }),
  entry('absorbido', {
    what: 'Su salida de 2 × BAT-48V no movió el stock.',
    why: 'Ocurrió antes del conteo físico del 1 dic., que ya la incluye.',
    next_step: 'Nada, si el conteo fue correcto.',
    conflict: { tabla: 'inventario', clave: 'inv-1', campo: 'stock_actual', valor_reemplazado: null, valor_servidor: 7, valor_nuevo: -2, otro_usuario: null },
  }),
  entry('stock_negativo', {
    what: 'CTL-48V quedó en −1 unidades en Taller Norte.',
    why: 'Salieron más unidades de las registradas.',
    next_step: 'Revise el estante y haga un conteo.',
  }),
  entry('edicion_campo', {
    action: 'inventory.settings',
    what: 'Dos personas cambiaron el mínimo de FRN-120MM a la vez.',
    why: 'Usted lo cambió de 3 a 5; Bruno Bodeguero lo había puesto en 4.',
    next_step: 'Quedó 5. Si debe ser otro, cámbielo de nuevo.',
    conflict: { tabla: 'inventario', clave: 'inv-2', campo: 'cantidad_minima', valor_reemplazado: 3, valor_servidor: 4, valor_nuevo: 5, otro_usuario: 'Bruno Bodeguero' },
  }),
  entry('fusion_referencia', {
    action: 'part.create',
    what: 'El repuesto NEU-10X3 que creó ya existía.',
    why: 'La referencia NEU-10X3 pertenece a otro repuesto; se unieron en uno.',
    next_step: 'Use el repuesto existente; sus movimientos ya lo usan.',
  }),
];

describe('conflict inbox', () => {
  it('each kind says what happened, why, and what to do, with its own label', async () => {
    installShell({ inbox: () => ENTRIES });
    renderApp('/inbox');
    const labels: Record<InboxKind, string> = {
      rechazo: 'Rechazado',
      absorbido: 'Movimiento absorbido',
      stock_negativo: 'Stock negativo',
      edicion_campo: 'Edición en conflicto',
      fusion_referencia: 'Referencia fusionada',
      nivel_superado: 'Nivel ya superado',
    };
    for (const item of ENTRIES) {
      const card = (await screen.findByRole('heading', { name: item.what })).closest('article') as HTMLElement;
      expect(within(card).getByRole('img', { name: `Tipo: ${labels[item.kind]}` })).toHaveTextContent(labels[item.kind]);
      const why = within(card).getByText('Por qué');
      expect(why.nextElementSibling).toHaveTextContent(item.why);
      const next = within(card).getByText('Qué puede hacer');
      expect(next.nextElementSibling).toHaveTextContent(item.next_step);
    }
    expect(screen.getByText('5 por revisar')).toBeInTheDocument();
  });

  it('a field-edit conflict shows both values and the one now in place', async () => {
    installShell({ inbox: () => ENTRIES });
    renderApp('/inbox');
    const card = (await screen.findByRole('heading', { name: /cambiaron el mínimo/ })).closest('article') as HTMLElement;
    const term = (text: string | RegExp) => within(card).getByText(text).nextElementSibling;
    expect(term('Valor que usted reemplazó')).toHaveTextContent('3');
    expect(term('Valor puesto por Bruno Bodeguero')).toHaveTextContent('4');
    expect(term('Valor vigente')).toHaveTextContent('5');
    expect(within(card).getByText('Mínimo o posición')).toBeInTheDocument();
  });

  it('a rejection shows its code; marking reviewed tells the shell which entry', async () => {
    const shell = installShell({ inbox: () => ENTRIES, dismiss_inbox_entry: () => null });
    renderApp('/inbox');
    const card = (await screen.findByRole('heading', { name: /fue rechazada/ })).closest('article') as HTMLElement;
    expect(within(card).getByText('insufficient_stock')).toBeInTheDocument();
    await userEvent.click(within(card).getByRole('button', { name: /Marcar como revisado/ }));
    await waitFor(() => expect(shell.callsOf('dismiss_inbox_entry')).toEqual([{ id: 'id-rechazo', kind: 'rechazo' }]));
  });

  it('reviewed entries are hidden until asked for', async () => {
    installShell({ inbox: () => [entry('stock_negativo', { reviewed: true, what: 'Ya revisado' }), entry('rechazo', { what: 'Pendiente' })] });
    renderApp('/inbox');
    expect(await screen.findByRole('heading', { name: 'Pendiente' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Ya revisado' })).toBeNull();
    await userEvent.click(screen.getByRole('checkbox', { name: /Mostrar también los revisados/ }));
    expect(await screen.findByRole('heading', { name: 'Ya revisado' })).toBeInTheDocument();
  });
});
