// What the replenishment proposal on the transfers screen decides before it asks the library:
// the quantity each line's field holds (the proposal's until the person types another), the
// lines kept for the cart (0 drops one), the problems of what was typed, and the lines that
// ask for more than the origin can give (allowed, but said). The library computes the
// proposal (decision 0020) and checks the quantities again.

import type { ReplenishmentLine, ReplenishmentLineInput, Uuid } from '../api';
import { parseWhole, type FieldProblem } from './validation';

/** What the person typed, by part id; a line not typed keeps its proposed quantity. */
export type Typed = Record<Uuid, string>;

/** The text a line's field shows. */
export function fieldText(line: ReplenishmentLine, typed: Typed): string {
  return typed[line.id_repuesto] ?? String(line.propuesta);
}

/** The why of a line, as numbers for its sentence: minimum − stock − in transit − in the cart = missing. */
export function why(line: ReplenishmentLine): { minimo: number; stock: number; transito: number; faltan: number; disponible: number; capped: boolean } {
  return {
    minimo: line.cantidad_minima,
    stock: line.stock_actual,
    transito: line.en_transito + line.en_carrito,
    faltan: line.falta,
    disponible: line.disponible_origen,
    capped: line.propuesta < line.falta,
  };
}

export interface CheckedProposal {
  /** The lines for the cart, in the proposal's order, without the ones at 0. */
  lines: ReplenishmentLineInput[];
  problems: Record<Uuid, FieldProblem>;
  /** Lines asking for more than the origin can give. */
  overOrigin: ReplenishmentLine[];
  /** Units kept. */
  units: number;
}

/** Checks every line's quantity: a whole number, 0 allowed (the line is dropped), at most `max`. */
export function checkProposal(lines: ReplenishmentLine[], typed: Typed, max: number): CheckedProposal {
  const checked: CheckedProposal = { lines: [], problems: {}, overOrigin: [], units: 0 };
  for (const line of lines) {
    const text = fieldText(line, typed);
    if (text.trim() === '') {
      checked.problems[line.id_repuesto] = { key: 'required' };
      continue;
    }
    const value = parseWhole(text);
    if (value === null) {
      checked.problems[line.id_repuesto] = { key: 'wholeOrZero' };
      continue;
    }
    if (value > max) {
      checked.problems[line.id_repuesto] = { key: 'tooLarge', values: { max } };
      continue;
    }
    if (value === 0) continue;
    if (value > line.disponible_origen) checked.overOrigin.push(line);
    checked.lines.push({ part: line.id_repuesto, cantidad: value });
    checked.units += value;
  }
  return checked;
}
