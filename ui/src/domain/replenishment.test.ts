import { describe, expect, it } from 'vitest';
import type { ReplenishmentLine } from '../api';
import { checkProposal, fieldText, why } from './replenishment';

function line(id: string, over: Partial<ReplenishmentLine> = {}): ReplenishmentLine {
  return {
    id_repuesto: id,
    referencia: id.toUpperCase(),
    nombre: `Repuesto ${id}`,
    posicion: null,
    stock_actual: 2,
    cantidad_minima: 8,
    en_transito: 0,
    en_carrito: 0,
    disponible_origen: 10,
    falta: 6,
    propuesta: 6,
    ...over,
  };
}

describe('replenishment proposal', () => {
  const lines = [
    line('mtr', { en_transito: 1, falta: 5, disponible_origen: 4, propuesta: 4 }),
    line('bat', { stock_actual: 10, cantidad_minima: 12, en_carrito: 1, falta: 1, propuesta: 1 }),
    line('ctl', { stock_actual: 0, cantidad_minima: 5, en_transito: 2, falta: 3, propuesta: 3 }),
  ];

  it('keeps every proposed quantity until the person types another', () => {
    expect(lines.map((l) => fieldText(l, {}))).toEqual(['4', '1', '3']);
    expect(checkProposal(lines, {}, 1000)).toEqual({
      lines: [
        { part: 'mtr', cantidad: 4 },
        { part: 'bat', cantidad: 1 },
        { part: 'ctl', cantidad: 3 },
      ],
      problems: {},
      overOrigin: [],
      units: 8,
    });
  });

  it('drops a line at 0, takes an edited one and says when it asks more than the origin can give', () => {
    const checked = checkProposal(lines, { mtr: ' 6 ', bat: '0' }, 1000);
    expect(checked.lines).toEqual([
      { part: 'mtr', cantidad: 6 },
      { part: 'ctl', cantidad: 3 },
    ]);
    expect(checked.overOrigin.map((l) => l.id_repuesto)).toEqual(['mtr']);
    expect(checked.units).toBe(9);
  });

  it('refuses what is not a whole quantity, and nothing of that line goes', () => {
    const checked = checkProposal(lines, { mtr: '', bat: '1.5', ctl: '2000' }, 1000);
    expect(checked.lines).toEqual([]);
    expect(checked.problems).toEqual({
      mtr: { key: 'required' },
      bat: { key: 'wholeOrZero' },
      ctl: { key: 'tooLarge', values: { max: 1000 } },
    });
    expect(checkProposal(lines, { ctl: '-1' }, 1000).problems.ctl).toEqual({ key: 'wholeOrZero' });
  });

  it('explains each line: minimum, stock, on its way, missing, and whether the origin caps it', () => {
    expect(why(lines[0]!)).toEqual({ minimo: 8, stock: 2, transito: 1, faltan: 5, disponible: 4, capped: true });
    expect(why(lines[1]!)).toEqual({ minimo: 12, stock: 10, transito: 1, faltan: 1, disponible: 10, capped: false });
  });
});
