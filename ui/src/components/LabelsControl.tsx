// The "Etiquetas" control: printable labels (a PDF with the reference as a Code 128 barcode,
// the name and the position) of one part at a location, or of every part of a location's
// shelf (optionally only the positions that start with a prefix), on A4 sheets of 3 × 8 or
// one per page for a label printer. The file goes to the downloads folder; the notice says
// how many labels on how many pages, and the folder and the file's name.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type LabelFormat, type LabelsDone, type LabelsInput, type TallerError, type Uuid } from '../api';
import { whereSaved } from '../domain/export';
import { labelsRequest } from '../domain/labels';
import { useFormat } from '../i18n';
import { RefusalNotice } from './Problems';

export type LabelsTarget = { kind: 'part'; idLocalizacion: Uuid; idRepuesto: Uuid; referencia: string } | { kind: 'shelf'; idLocalizacion: Uuid; sede: string };

export function LabelsControl({ target }: { target: LabelsTarget }) {
  const { t } = useTranslation();
  const format = useFormat();
  const labelId = useId();
  const [paper, setPaper] = useState<LabelFormat>('sheet');
  const [prefix, setPrefix] = useState('');
  const run = useMutation<LabelsDone, TallerError, LabelsInput>({ mutationFn: (input) => api.labels(input) });
  // A notice about other labels is stale: it goes when what would be printed changes.
  const key = JSON.stringify([target, paper, prefix]);
  const { reset } = run;
  useEffect(() => reset(), [key, reset]);
  const done = run.isPending ? undefined : run.data;
  const where = done ? whereSaved(done) : null;
  const aria = target.kind === 'part' ? t('labels.aria.part', { referencia: target.referencia }) : t('labels.aria.shelf', { sede: target.sede });
  return (
    <div className="export labels">
      <div className="export__buttons" role="group" aria-labelledby={labelId}>
        <span id={labelId} className="export__label">
          {t('labels.button')}
        </span>
        <label className="labels__field">
          <span className="field__label">{t('labels.format.label')}</span>
          <select value={paper} onChange={(event) => setPaper(event.target.value as LabelFormat)} data-testid="labels-format">
            <option value="sheet">{t('labels.format.sheet')}</option>
            <option value="roll">{t('labels.format.roll')}</option>
          </select>
        </label>
        {target.kind === 'shelf' && (
          <label className="labels__field">
            <span className="field__label">{t('labels.prefix')}</span>
            <input
              className="labels__prefix"
              value={prefix}
              placeholder={t('labels.prefixPlaceholder')}
              maxLength={100}
              autoComplete="off"
              spellCheck={false}
              onChange={(event) => setPrefix(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') {
                  event.preventDefault();
                  run.mutate(labelsRequest(target, paper, prefix));
                }
              }}
            />
          </label>
        )}
        <button
          type="button"
          className="button export__button labels__button"
          aria-label={aria}
          title={t('labels.hint')}
          disabled={run.isPending}
          onClick={() => run.mutate(labelsRequest(target, paper, prefix))}
        >
          {t('labels.button')}
        </button>
        {run.isPending && (
          <span className="muted" role="status">
            {t('labels.working')}
          </span>
        )}
      </div>
      {done && where && (
        <div className="notice notice--success export__done" role="status" data-testid="labels-done" data-path={done.path}>
          <p className="notice__title">{t('labels.done', { count: done.labels, formatted: format.number(done.labels), pages: format.number(done.pages) })}</p>
          <p className="export__where">
            <span>{t('export.folder')}</span> <strong className="mono" data-testid="labels-folder">{where.folder}</strong>
          </p>
          <p className="export__where">
            <span>{t('export.file')}</span> <strong className="mono" data-testid="labels-file">{where.fileName}</strong>
          </p>
        </div>
      )}
      <RefusalNotice error={run.error} />
    </div>
  );
}
