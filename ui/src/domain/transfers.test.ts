import { describe, expect, it } from 'vitest';
import type { CartLine, RequestLineView } from '../api';
import { canCancel, cartByDestination, checkLines, defaultQuantity, nextStep } from './transfers';

function line(id: string, overrides: Partial<RequestLineView> = {}): RequestLineView {
  return {
    id_detalle: id,
    id_repuesto: `rep-${id}`,
    referencia: `REF-${id}`,
    nombre: `Parte ${id}`,
    posicion: null,
    stock_origen: null,
    cantidad_solicitada: 5,
    cantidad_despachada: null,
    cantidad_recibida: null,
    discrepancia: false,
    observaciones: null,
    ...overrides,
  };
}

describe('transfer steps', () => {
  it('each state has its next step; only pending and picking requests can be cancelled', () => {
    expect(nextStep('PENDIENTE')).toBe('pick');
    expect(nextStep('ALISTAMIENTO')).toBe('dispatch');
    expect(nextStep('DESPACHADO')).toBe('receive');
    expect(nextStep('RECIBIDO')).toBeNull();
    expect(nextStep('CANCELADO')).toBeNull();
    expect(['PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO', 'CANCELADO'].filter((e) => canCancel(e as never))).toEqual([
      'PENDIENTE',
      'ALISTAMIENTO',
    ]);
  });

  it('a dispatch starts from what was requested, a reception from what was dispatched', () => {
    expect(defaultQuantity('dispatch', line('a', { cantidad_despachada: 2 }))).toBe(5);
    expect(defaultQuantity('receive', line('a', { cantidad_despachada: 2 }))).toBe(2);
    expect(defaultQuantity('receive', line('a'))).toBe(5);
  });
});

describe('typed line quantities', () => {
  const lines = [line('a', { cantidad_despachada: 4 }), line('b', { cantidad_despachada: 5 }), line('c', { cantidad_despachada: 1 })];

  it('only lines that differ from the default go to the library, each difference with both numbers', () => {
    const checked = checkLines('receive', lines, { typed: { a: '3', b: ' 5 ', c: '0' } }, 100);
    expect(checked.problems).toEqual({});
    expect(checked.lines).toEqual([
      { line: 'a', cantidad: 3 },
      { line: 'c', cantidad: 0 },
    ]);
    expect(checked.differences.map((d) => [d.line.referencia, d.expected, d.actual])).toEqual([
      ['REF-a', 4, 3],
      ['REF-c', 1, 0],
    ]);
  });

  it('an empty, negative, fractional or too large quantity is a problem of its line, and is not sent', () => {
    const checked = checkLines('dispatch', lines, { typed: { a: '', b: '-1', c: '1.5' } }, 100);
    expect(checked.problems).toEqual({ a: { key: 'required' }, b: { key: 'wholeOrZero' }, c: { key: 'wholeOrZero' } });
    expect(checked.lines).toEqual([]);
    expect(checkLines('dispatch', lines, { typed: { a: '101' } }, 100).problems).toEqual({ a: { key: 'tooLarge', values: { max: 100 } } });
  });
});

describe('the cart', () => {
  it('groups lines by destination in the order they were added', () => {
    const cart: CartLine[] = [
      { id_item_carrito: '1', id_localizacion: 'n', destino: 'Norte', id_repuesto: 'p1', referencia: 'A', nombre: 'a', cantidad: 1, created_at: '' },
      { id_item_carrito: '2', id_localizacion: 's', destino: 'Sur', id_repuesto: 'p2', referencia: 'B', nombre: 'b', cantidad: 2, created_at: '' },
      { id_item_carrito: '3', id_localizacion: 'n', destino: 'Norte', id_repuesto: 'p3', referencia: 'C', nombre: 'c', cantidad: 3, created_at: '' },
    ];
    expect(cartByDestination(cart).map((g) => [g.destino, g.lines.map((l) => l.referencia)])).toEqual([
      ['Norte', ['A', 'C']],
      ['Sur', ['B']],
    ]);
  });
});
