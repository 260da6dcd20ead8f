// The "Exportar" control of a list screen: the list as it is filtered on screen, every row,
// to CSV or Excel (XLSX) in the downloads folder. The notice says how many rows went, and the
// folder and the file's name, so the file can be found.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ExportDone, type ExportFormat, type ExportList, type TallerError } from '../api';
import { whereSaved } from '../domain/export';
import { useFormat } from '../i18n';
import { RefusalNotice } from './Problems';

export function ExportControl({ list, disabled = false }: { list: ExportList; disabled?: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const labelId = useId();
  const run = useMutation<ExportDone, TallerError, ExportFormat>({ mutationFn: (wanted) => api.exportList({ list, format: wanted }) });
  // A notice about another list's file is stale: it goes when the filters change.
  const key = JSON.stringify(list);
  const { reset } = run;
  useEffect(() => reset(), [key, reset]);
  const done = run.isPending ? undefined : run.data;
  const where = done ? whereSaved(done) : null;
  return (
    <div className="export">
      <div className="export__buttons" role="group" aria-labelledby={labelId}>
        <span id={labelId} className="export__label">
          {t('export.label')}
        </span>
        {(['csv', 'xlsx'] as const).map((wanted) => (
          <button
            key={wanted}
            type="button"
            className="button export__button"
            data-format={wanted}
            aria-label={t(`export.aria.${wanted}`)}
            title={t('export.hint')}
            disabled={disabled || run.isPending}
            onClick={() => run.mutate(wanted)}
          >
            {t(`export.format.${wanted}`)}
          </button>
        ))}
        {run.isPending && (
          <span className="muted" role="status">
            {t('export.working')}
          </span>
        )}
      </div>
      {done && where && (
        <div className="notice notice--success export__done" role="status" data-testid="export-done" data-path={done.path}>
          <p className="notice__title">
            {t('export.done', { count: done.rows, formatted: format.number(done.rows), format: t(`export.format.${done.format}`) })}
          </p>
          <p className="export__where">
            <span>{t('export.folder')}</span> <strong className="mono" data-testid="export-folder">{where.folder}</strong>
          </p>
          <p className="export__where">
            <span>{t('export.file')}</span> <strong className="mono" data-testid="export-file">{where.fileName}</strong>
          </p>
        </div>
      )}
      <RefusalNotice error={run.error} />
    </div>
  );
}
