import { useTranslation } from 'react-i18next';
import type { TallerError } from '../api';
import type { FieldProblem } from '../domain/validation';

/** The message under a field; `id` is what the field's aria-describedby names. */
export function FieldMessage({ id, problem, refusal }: { id: string; problem?: FieldProblem | undefined; refusal?: string | undefined }) {
  const { t } = useTranslation();
  const text = refusal ?? (problem ? t(`validation.${problem.key}`, problem.values ?? {}) : null);
  if (!text) return null;
  return (
    <p id={id} className="field__error">
      <span aria-hidden="true">⚠ </span>
      {text}
    </p>
  );
}

/** A refusal of the library or the server, with its message as it came (already translated). */
export function RefusalNotice({ error, children }: { error: TallerError | null; children?: React.ReactNode }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <div className="notice notice--error" role="alert">
      <p className="notice__title">{error.code === 'offline' ? t('errors.offlineTitle') : t('errors.refusedTitle')}</p>
      <p>{error.message}</p>
      {children}
      <p className="notice__code">
        {t('errors.code')}: <code>{error.code}</code>
      </p>
    </div>
  );
}
