// What the "Etiquetas" control asks the library for: one part at a location (its position
// there), or a location's shelf, optionally only the positions that start with a prefix.

import type { LabelFormat, LabelsInput, Uuid } from '../api';

export type LabelsTargetInput = { kind: 'part'; idLocalizacion: Uuid; idRepuesto: Uuid } | { kind: 'shelf'; idLocalizacion: Uuid };

export function labelsRequest(target: LabelsTargetInput, format: LabelFormat, prefix: string): LabelsInput {
  if (target.kind === 'part') {
    return { location: target.idLocalizacion, part: target.idRepuesto, position_prefix: null, format };
  }
  const trimmed = prefix.trim();
  return { location: target.idLocalizacion, part: null, position_prefix: trimmed === '' ? null : trimmed, format };
}
