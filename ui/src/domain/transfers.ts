// What the transfers screen decides before it asks the library: which step a request is at,
// the quantities a person typed for its lines, and which lines differ. The library and the
// server decide again; this only keeps the screen from offering what makes no sense.

import type { CartLine, EstadoSolicitud, LineQuantityInput, RequestLineView, Uuid } from '../api';
import { parseWhole, type FieldProblem } from './validation';

export const ESTADOS: readonly EstadoSolicitud[] = ['PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO', 'CANCELADO'];

/** The next step of a request in each state, and where the person must be to take it. */
export type Step = 'pick' | 'dispatch' | 'receive';

export function nextStep(estado: EstadoSolicitud): Step | null {
  switch (estado) {
    case 'PENDIENTE':
      return 'pick';
    case 'ALISTAMIENTO':
      return 'dispatch';
    case 'DESPACHADO':
      return 'receive';
    default:
      return null;
  }
}

export function canCancel(estado: EstadoSolicitud): boolean {
  return estado === 'PENDIENTE' || estado === 'ALISTAMIENTO';
}

/** The quantity a line's field starts with: dispatch as requested; receive as dispatched. */
export function defaultQuantity(step: 'dispatch' | 'receive', line: RequestLineView): number {
  return step === 'dispatch' ? line.cantidad_solicitada : (line.cantidad_despachada ?? line.cantidad_solicitada);
}

/** A typed line quantity: a whole number, zero allowed (nothing of that line went or came). */
export function lineQuantityProblem(text: string, max: number): FieldProblem | null {
  if (text.trim() === '') return { key: 'required' };
  const value = parseWhole(text);
  if (value === null) return { key: 'wholeOrZero' };
  if (value > max) return { key: 'tooLarge', values: { max } };
  return null;
}

export interface LineForm {
  /** What the person typed, by line id; a line not typed keeps its default. */
  typed: Record<Uuid, string>;
}

export interface CheckedLines {
  /** Lines whose quantity differs from the default, for the library (`line` = the line's id). */
  lines: LineQuantityInput[];
  problems: Record<Uuid, FieldProblem>;
  /** Lines whose quantity differs from what the step expects, with both numbers. */
  differences: Array<{ line: RequestLineView; expected: number; actual: number }>;
}

/** Checks every typed quantity of a dispatch or a reception against its line. */
export function checkLines(step: 'dispatch' | 'receive', lines: RequestLineView[], form: LineForm, max: number): CheckedLines {
  const checked: CheckedLines = { lines: [], problems: {}, differences: [] };
  for (const line of lines) {
    const expected = defaultQuantity(step, line);
    const text = form.typed[line.id_detalle];
    if (text === undefined) continue;
    const problem = lineQuantityProblem(text, max);
    if (problem) {
      checked.problems[line.id_detalle] = problem;
      continue;
    }
    const actual = parseWhole(text) ?? expected;
    if (actual !== expected) {
      checked.lines.push({ line: line.id_detalle, cantidad: actual });
      checked.differences.push({ line, expected, actual });
    }
  }
  return checked;
}

/** The cart's lines by destination, in the order they were added. */
export function cartByDestination(cart: CartLine[]): Array<{ id_localizacion: Uuid; destino: string; lines: CartLine[] }> {
  const groups = new Map<Uuid, { id_localizacion: Uuid; destino: string; lines: CartLine[] }>();
  for (const line of cart) {
    const group = groups.get(line.id_localizacion) ?? { id_localizacion: line.id_localizacion, destino: line.destino, lines: [] };
    group.lines.push(line);
    groups.set(line.id_localizacion, group);
  }
  return [...groups.values()];
}
