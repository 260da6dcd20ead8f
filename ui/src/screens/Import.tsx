// Importing parts from a CSV file (decision 0019): choose the file (or paste its text), see
// every row with its errors and a summary, then "Importar N repuestos", enabled only when the
// file has no error. The library checks and applies (import_preview, import_apply): all the
// rows are created, each its own change in the queue, or none.

import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, type ImportDone, type ImportPreview, type ImportRow, type TallerError } from '../api';
import { RefusalNotice } from '../components/Problems';
import { canApply, fileIssues, separatorKey, shownRows } from '../domain/import';
import { useFormat } from '../i18n';

/** A chosen file's text, as UTF-8 (FileReader: every web view has it). */
function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('read'));
    reader.readAsText(file, 'utf-8');
  });
}

export function ImportScreen() {
  const { t } = useTranslation();
  const format = useFormat();
  const fileId = useId();
  const pasteId = useId();
  const hintId = useId();
  const resultRef = useRef<HTMLDivElement>(null);
  const [text, setText] = useState('');
  const [pasted, setPasted] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [onlyErrors, setOnlyErrors] = useState(false);
  const preview = useMutation<ImportPreview, TallerError, string>({
    mutationFn: (wanted) => api.importPreview({ text: wanted }),
    onSuccess: () => {
      apply.reset();
      requestAnimationFrame(() => resultRef.current?.focus());
    },
  });
  const apply = useMutation<ImportDone, TallerError, string>({
    mutationFn: (wanted) => api.importApply({ text: wanted }),
    onSuccess: () => {
      preview.reset();
      requestAnimationFrame(() => resultRef.current?.focus());
    },
  });
  const busy = preview.isPending || apply.isPending;
  const shown = preview.data;
  const ready = canApply(shown, busy);
  const check = (wanted: string) => {
    setText(wanted);
    setOnlyErrors(false);
    preview.mutate(wanted);
  };

  return (
    <section className="screen import" aria-labelledby="import-title">
      <div className="screen__head">
        <h1 id="import-title">{t('import.title')}</h1>
        <Link to="/inventory" className="back-link">
          {t('import.back')}
        </Link>
      </div>
      <p className="lead">{t('import.intro')}</p>
      <p className="muted import__columns">{t('import.columns')}</p>
      <div className="import__sources">
        <div className="field">
          <label htmlFor={fileId}>{t('import.file')}</label>
          <input
            id={fileId}
            type="file"
            accept=".csv,text/csv,text/plain"
            data-testid="import-file"
            disabled={busy}
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (!file) return;
              setFileName(file.name);
              void readText(file).then(check);
            }}
          />
          {fileName && <span className="muted">{t('import.chosen', { name: fileName })}</span>}
        </div>
        <form
          className="field field--grow"
          onSubmit={(event) => {
            event.preventDefault();
            if (pasted.trim() !== '') {
              setFileName(null);
              check(pasted);
            }
          }}
        >
          <label htmlFor={pasteId}>{t('import.paste')}</label>
          <textarea
            id={pasteId}
            rows={4}
            value={pasted}
            spellCheck={false}
            data-testid="import-paste"
            placeholder={t('import.pastePlaceholder')}
            onChange={(event) => setPasted(event.target.value)}
          />
          <button type="submit" className="button" disabled={busy || pasted.trim() === ''}>
            {t('import.check')}
          </button>
        </form>
      </div>
      {preview.isPending && <p role="status">{t('import.checking')}</p>}
      <RefusalNotice error={preview.error} />
      <div ref={resultRef} tabIndex={-1} className="import__result">
        {apply.data && (
          <div className="notice notice--success" role="status" data-testid="import-done">
            <p className="notice__title">{t('import.done', { count: apply.data.created, formatted: format.number(apply.data.created) })}</p>
            <p>{apply.data.message}</p>
            <p>
              <Link to="/inventory">{t('import.toInventory')}</Link>
            </p>
          </div>
        )}
        {shown && (
          <>
            <Summary preview={shown} />
            <div className="toolbar import__actions">
              <button
                type="button"
                className="button button--primary button--large"
                disabled={!ready}
                aria-describedby={ready ? undefined : hintId}
                data-testid="import-apply"
                onClick={() => apply.mutate(text)}
              >
                {apply.isPending
                  ? t('import.applying')
                  : t('import.apply', { count: shown.rows.length, formatted: format.number(shown.rows.length) })}
              </button>
              {!ready && (
                <span id={hintId} className="muted">
                  {t(shown.rows.length === 0 ? 'import.nothingToImport' : 'import.fixFirst')}
                </span>
              )}
              {shown.rows_with_errors > 0 && (
                <label className="toggle">
                  <input type="checkbox" checked={onlyErrors} onChange={(event) => setOnlyErrors(event.target.checked)} />
                  <span>{t('import.onlyErrors')}</span>
                </label>
              )}
            </div>
            <RefusalNotice error={apply.error} />
            {shown.rows.length > 0 && <PreviewTable rows={shownRows(shown, onlyErrors)} />}
          </>
        )}
      </div>
    </section>
  );
}

function Summary({ preview }: { preview: ImportPreview }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { errors, warnings } = fileIssues(preview);
  const n = (count: number) => ({ count, formatted: format.number(count) });
  return (
    <div className={`notice ${preview.errors > 0 ? 'notice--error' : 'notice--success'}`} data-testid="import-summary" role="status">
      <p className="notice__title">
        {preview.errors > 0
          ? t('import.summaryErrors', { errors: t('import.errors', n(preview.errors)), rows: t('import.rowsWith', n(preview.rows_with_errors)) })
          : t('import.summaryReady', n(preview.rows.length))}
      </p>
      <p>
        {t('import.read', { rows: t('import.rows', n(preview.rows.length)), separator: t(`import.separator.${separatorKey(preview.separator)}`) })}
        {preview.errors > 0 && ` ${t('import.nothingApplied')}`}
      </p>
      {errors.length > 0 && (
        <ul className="import__issues" aria-label={t('import.fileErrors')} data-testid="import-file-errors">
          {errors.map((issue, index) => (
            <li key={index} data-code={issue.code}>
              <strong>{issue.row ? t('import.rowLabel', { row: issue.row }) : t('import.fileLabel')}</strong> {issue.message}
            </li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="import__issues import__issues--warning" aria-label={t('import.warnings')} data-testid="import-warnings">
          {warnings.map((issue, index) => (
            <li key={index} data-code={issue.code}>
              <strong>{t('import.warningLabel')}</strong> {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PreviewTable({ rows }: { rows: ImportRow[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const empty = <span className="muted">—</span>;
  return (
    <div className="import__table-wrap">
      <table className="data-table import__table" data-testid="import-rows">
        <caption className="visually-hidden">{t('import.tableCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('import.col.row')}</th>
            <th scope="col">{t('import.col.referencia')}</th>
            <th scope="col">{t('import.col.nombre')}</th>
            <th scope="col">{t('import.col.tipo')}</th>
            <th scope="col">{t('import.col.marca')}</th>
            <th scope="col">{t('import.col.fecha')}</th>
            <th scope="col">{t('import.col.check')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.row} className={row.errors.length > 0 ? 'import__row--error' : undefined} data-row={row.row}>
              <td className="num">{row.row}</td>
              <td className="mono">{row.referencia || empty}</td>
              <td>{row.nombre || empty}</td>
              <td>{row.tipo ?? empty}</td>
              <td>{row.marca ?? empty}</td>
              <td className="nowrap">{row.fecha_estimada ? format.day(row.fecha_estimada) : empty}</td>
              <td className="import__check">
                {row.errors.length === 0 ? (
                  <span className="import__ok">{t('import.rowOk')}</span>
                ) : (
                  <ul className="import__row-errors">
                    {row.errors.map((issue, index) => (
                      <li key={index} data-code={issue.code}>
                        {issue.message}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
