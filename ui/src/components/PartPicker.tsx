// The field that takes a part: scan it, type its reference, or search and pick. Fast
// keystrokes ending in Enter are a scan (the scanner is a keyboard wedge); a typed
// reference is looked up on Enter; typing also offers matches to pick with the arrows.

import { forwardRef, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type PartMatch, type TallerError, type Uuid } from '../api';
import { useSearchParts } from '../api/hooks';
import type { FieldProblem } from '../domain/validation';
import { useDebounced } from '../hooks/useDebounced';
import { useScanField } from '../hooks/useScanner';
import { useFormat } from '../i18n';
import { FieldMessage } from './Problems';
import { MinimumAlert, StockBadge } from './StockBadge';

export const SUGGESTION_DEBOUNCE_MS = 200;

interface PartPickerProps {
  idLocalizacion: Uuid | '';
  text: string;
  part: PartMatch | null;
  onText: (text: string) => void;
  /** A part found (or null when the text matches none). */
  onPick: (part: PartMatch | null, text: string) => void;
  problem?: FieldProblem | undefined;
  refusal?: string | undefined;
  /** When given, a scan is not a pick: the part found (or null) and the code go here, and
   * the field is the parent's to empty (the counts screen adds one unit per scan). */
  onScan?: ((part: PartMatch | null, code: string) => void) | undefined;
  /** The hint beside the label (default: scan or type the reference). */
  hint?: string | undefined;
}

export const PartPicker = forwardRef<HTMLInputElement, PartPickerProps>(function PartPicker(
  { idLocalizacion, text, part, onText, onPick, problem, refusal, onScan, hint },
  ref,
) {
  const { t } = useTranslation();
  const format = useFormat();
  const id = useId();
  const [highlight, setHighlight] = useState(-1);
  const [looking, setLooking] = useState(false);
  const [lookupError, setLookupError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const debounced = useDebounced(text.trim(), SUGGESTION_DEBOUNCE_MS);
  const suggestions = useSearchParts({
    text: part || !open ? '' : debounced,
    id_localizacion: idLocalizacion || null,
    limit: 8,
  });
  const options = part || !open ? [] : (suggestions.data ?? []);
  const expanded = options.length > 0;

  const lookUp = async (code: string, scanned = false) => {
    const trimmed = code.trim();
    if (!trimmed) return;
    setLooking(true);
    setLookupError(null);
    try {
      const found = await api.findPart({ code: trimmed, id_localizacion: idLocalizacion || null });
      if (scanned && onScan) onScan(found, trimmed);
      else onPick(found, found ? found.referencia : trimmed);
    } catch (raw) {
      setLookupError((raw as TallerError).message);
    } finally {
      setLooking(false);
      setOpen(false);
      setHighlight(-1);
    }
  };

  // A scan replaces what the field showed when it began: nothing, or the part picked before
  // (the next part of the same order). After a person's own typing it does not: the field
  // then holds their keys and the scanned ones (or keys a busy machine delayed), and all of
  // it is looked up, so no key typed is lost.
  const picked = useRef<string | null>(null);
  useEffect(() => {
    if (part) picked.current = text;
  }, [part, text]);
  const onScanKey = useScanField((code, field) => {
    const fresh = field.before.trim() === '' || field.before === picked.current;
    const lookFor = fresh ? code : field.value;
    // A scan that counts (onScan) empties the field at once, ready for the next one.
    onText(onScan ? '' : lookFor);
    void lookUp(lookFor, true);
  });

  const pick = (match: PartMatch) => {
    onPick(match, match.referencia);
    setOpen(false);
    setHighlight(-1);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    onScanKey(event);
    if (event.defaultPrevented) return;
    if (event.key === 'ArrowDown' && expanded) {
      event.preventDefault();
      setHighlight((index) => Math.min(options.length - 1, index + 1));
    } else if (event.key === 'ArrowUp' && expanded) {
      event.preventDefault();
      setHighlight((index) => Math.max(-1, index - 1));
    } else if (event.key === 'Escape' && expanded) {
      event.preventDefault();
      setOpen(false);
    } else if (event.key === 'Enter' && !part) {
      // Enter in the part field picks; it submits the form only once a part is chosen.
      event.preventDefault();
      const chosen = options[highlight];
      if (chosen) pick(chosen);
      else void lookUp(text);
    }
  };

  const messageId = `${id}-message`;
  const summaryId = `${id}-summary`;
  const describedBy = [problem || refusal || lookupError ? messageId : null, part ? summaryId : null].filter(Boolean).join(' ') || undefined;

  return (
    <div className="field part-picker">
      <label className="field__label" htmlFor={`${id}-input`}>
        {t('movement.part')} <span className="field__hint">{hint ?? t('movement.partHint')}</span>
      </label>
      <input
        id={`${id}-input`}
        ref={ref}
        data-scan-field=""
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={`${id}-listbox`}
        aria-activedescendant={expanded && highlight >= 0 ? `${id}-option-${highlight}` : undefined}
        aria-invalid={problem || refusal ? true : undefined}
        aria-describedby={describedBy}
        aria-required="true"
        autoComplete="off"
        spellCheck={false}
        value={text}
        onChange={(event) => {
          onText(event.target.value);
          setOpen(true);
          setHighlight(-1);
          setLookupError(null);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
      />
      {looking && <p className="field__hint" aria-live="polite">{t('movement.lookingUp')}</p>}
      <ul id={`${id}-listbox`} role="listbox" className="suggestions" aria-label={t('movement.suggestions')} hidden={!expanded}>
        {options.map((option, index) => (
          <li
            key={option.id_repuesto}
            id={`${id}-option-${index}`}
            role="option"
            aria-selected={index === highlight}
            className={`suggestions__item${index === highlight ? ' suggestions__item--active' : ''}`}
            onMouseDown={(event) => {
              event.preventDefault();
              pick(option);
            }}
          >
            <strong className="mono">{option.referencia}</strong> {option.nombre}
            {option.stock && (
              <span className="muted">
                {' '}
                · {t('movement.stockHere', { stock: format.number(option.stock.stock_actual) })}
              </span>
            )}
          </li>
        ))}
      </ul>
      <FieldMessage id={messageId} problem={problem} refusal={refusal ?? lookupError ?? undefined} />
      {part && (
        <div id={summaryId} className="part-summary" aria-live="polite">
          <p>
            <strong className="mono">{part.referencia}</strong> — {part.nombre}
            {part.marca ? ` · ${part.marca}` : ''}
          </p>
          {part.stock ? (
            <p className="part-summary__stock">
              {t('movement.stockAt', { location: part.stock.localizacion })}{' '}
              <strong className="big-number">{format.number(part.stock.stock_actual)}</strong>{' '}
              <StockBadge estado={part.stock.estado_stock} />
              {part.stock.alerta_minimo && <MinimumAlert />}
            </p>
          ) : (
            <p className="part-summary__stock">{t('movement.noStockHere')}</p>
          )}
        </div>
      )}
    </div>
  );
});
