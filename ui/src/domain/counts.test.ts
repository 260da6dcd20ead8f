import { describe, expect, it } from 'vitest';
import type { CountLineView, LedgerEntry } from '../api';
import { absorbedSummary, afterScan, checkCountQuantities, closedLineState, closeSummary, countedNow, countedStock, differenceKind, lineDifference, type Counted } from './counts';

function line(referencia: string, overrides: Partial<CountLineView> = {}): CountLineView {
  return {
    id_detalle_conteo: `det-${referencia}`,
    id_repuesto: `rep-${referencia}`,
    referencia,
    nombre: `Parte ${referencia}`,
    posicion: null,
    cantidad_sistema: 10,
    cantidad_csa: 10,
    cantidad_pq: 0,
    diferencia: 0,
    observaciones: null,
    ajuste: null,
    absorbidos: [],
    ...overrides,
  };
}

function ledger(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id_log: 'log-1',
    fecha: '2026-12-01T10:00:00Z',
    localizacion: 'Bodega Central',
    tipo_operacion: 'CONTEO_FISICO',
    cantidad_anterior: 10,
    cantidad_nueva: 8,
    diferencia: -2,
    motivo: null,
    usuario: 'Bruno Bodeguero',
    absorbido: false,
    ...overrides,
  };
}

describe('the live difference', () => {
  it('is (system + loose parts) - counted, as the library records it: positive when units are missing', () => {
    expect(lineDifference(12, { cantidad_csa: 10, cantidad_pq: 0 })).toBe(2);
    expect(lineDifference(12, { cantidad_csa: 15, cantidad_pq: 0 })).toBe(-3);
    expect(lineDifference(12, { cantidad_csa: 14, cantidad_pq: 2 })).toBe(0);
    expect(differenceKind(2)).toBe('missing');
    expect(differenceKind(-3)).toBe('surplus');
    expect(differenceKind(0)).toBe('match');
  });

  it('the stock a line fixes is what was counted less the loose parts that stay', () => {
    expect(countedStock({ cantidad_csa: 14, cantidad_pq: 2 })).toBe(12);
    expect(countedStock({ cantidad_csa: 3, cantidad_pq: 0 })).toBe(3);
  });
});

describe('a scan adds one', () => {
  it('to nothing counted yet: one unit, no loose parts', () => {
    expect(afterScan(null)).toEqual({ cantidad_csa: 1, cantidad_pq: 0, observaciones: null });
  });

  it('to what was counted, keeping the loose parts and the note', () => {
    expect(afterScan({ cantidad_csa: 4, cantidad_pq: 1, observaciones: 'caja rota' })).toEqual({ cantidad_csa: 5, cantidad_pq: 1, observaciones: 'caja rota' });
  });

  it('counts from what this window recorded last, then the line, then nothing', () => {
    const lines = [line('A', { cantidad_csa: 3, cantidad_pq: 1 })];
    const recorded = new Map<string, Counted>();
    expect(countedNow(lines, recorded, 'rep-A')).toEqual({ cantidad_csa: 3, cantidad_pq: 1, observaciones: null });
    expect(countedNow(lines, recorded, 'rep-B')).toBeNull();
    // Three quick scans of A before the detail is read again: 4, 5, 6.
    const seen: number[] = [];
    for (let scan = 0; scan < 3; scan += 1) {
      const next = afterScan(countedNow(lines, recorded, 'rep-A'));
      recorded.set('rep-A', next);
      seen.push(next.cantidad_csa);
    }
    expect(seen).toEqual([4, 5, 6]);
    expect(recorded.get('rep-A')?.cantidad_pq).toBe(1);
  });
});

describe('typed quantities', () => {
  it('counted is required and may be zero; loose parts empty are zero', () => {
    expect(checkCountQuantities('0', '', 100)).toEqual({ problems: {}, counted: { cantidad_csa: 0, cantidad_pq: 0 } });
    expect(checkCountQuantities(' 12 ', '2', 100)).toEqual({ problems: {}, counted: { cantidad_csa: 12, cantidad_pq: 2 } });
    expect(checkCountQuantities('', '', 100).problems).toEqual({ cantidad_csa: { key: 'required' } });
  });

  it('a fraction, a negative, too many, or more loose parts than units is a problem and nothing to send', () => {
    expect(checkCountQuantities('1,5', '', 100)).toEqual({ problems: { cantidad_csa: { key: 'wholeOrZero' } }, counted: null });
    expect(checkCountQuantities('-1', '', 100).problems.cantidad_csa).toEqual({ key: 'wholeOrZero' });
    expect(checkCountQuantities('101', '', 100).problems.cantidad_csa).toEqual({ key: 'tooLarge', values: { max: 100 } });
    expect(checkCountQuantities('3', '4', 100)).toEqual({ problems: { cantidad_pq: { key: 'pqAboveCounted', values: { max: 3 } } }, counted: null });
    expect(checkCountQuantities('3', 'x', 100).problems.cantidad_pq).toEqual({ key: 'wholeOrZero' });
  });
});

describe('closing', () => {
  it('summarises the adjustments it will write, and the lines that match', () => {
    const lines = [
      line('A', { cantidad_sistema: 12, cantidad_csa: 10, diferencia: 2 }),
      line('B', { cantidad_sistema: 5, cantidad_csa: 5 }),
      line('C', { cantidad_sistema: 2, cantidad_csa: 6, cantidad_pq: 1, diferencia: -3 }),
      line('D', { cantidad_sistema: 4, cantidad_csa: 6, cantidad_pq: 2, diferencia: 0 }),
    ];
    const summary = closeSummary(lines);
    expect(summary.adjustments.map((a) => [a.line.referencia, a.anterior, a.nueva, a.cambio])).toEqual([
      ['A', 12, 10, -2],
      ['C', 2, 5, 3],
    ]);
    expect(summary.unchanged).toBe(2);
    expect([summary.missing, summary.surplus]).toEqual([2, 3]);
  });

  it('a closed line shows what its close wrote: a change, none, absorbed by a later count, or not known yet', () => {
    expect(closedLineState(line('A'))).toBe('pending');
    expect(closedLineState(line('A', { ajuste: ledger() }))).toBe('adjusted');
    expect(closedLineState(line('A', { ajuste: ledger({ cantidad_nueva: 10, diferencia: 0 }) }))).toBe('unchanged');
    expect(closedLineState(line('A', { ajuste: ledger({ cantidad_nueva: 10, diferencia: 0, absorbido: true }) }))).toBe('absorbed');
  });
});

describe('late changes a closed count absorbed', () => {
  const change = (id: string, cantidad: number) => ({
    id_log: id,
    fecha: '2026-12-01T09:50:00Z',
    tipo_operacion: 'MOVIMIENTO_TECNICO' as const,
    cantidad,
    motivo: null,
    usuario: 'Carla Técnica',
  });

  it('counts the changes, the lines they sit on and the units they asked to move', () => {
    const lines = [
      line('A', { absorbidos: [change('l1', -2), change('l2', 1)] }),
      line('B'),
      line('C', { absorbidos: [change('l3', -3)] }),
    ];
    expect(absorbedSummary(lines)).toEqual({ changes: 3, lines: 2, units: -4 });
  });

  it('is nothing for a count that absorbed none', () => {
    expect(absorbedSummary([line('A'), line('B')])).toEqual({ changes: 0, lines: 0, units: 0 });
  });
});
