import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { SHORTCUT_GROUPS } from '../hooks/shortcuts';

/** Every shortcut, in a modal dialog. Escape or the button closes it and gives the focus back. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeButton.current?.focus();
    return () => previous?.focus?.();
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
    if (event.key === 'Tab') {
      // One button inside: keep the focus in the dialog.
      event.preventDefault();
      closeButton.current?.focus();
    }
  };
  return (
    <div className="overlay" onKeyDown={onKeyDown}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title">
        <div className="dialog__head">
          <h2 id="help-title">{t('help.title')}</h2>
          <button type="button" ref={closeButton} className="button" onClick={onClose}>
            {t('help.closeButton')}
          </button>
        </div>
        <div className="help-groups">
          {SHORTCUT_GROUPS.map((group) => (
            <section key={group.title} aria-labelledby={`help-${group.title}`}>
              <h3 id={`help-${group.title}`}>{t(group.title as 'help.title')}</h3>
              <dl className="shortcuts">
                {group.shortcuts.map((shortcut) => (
                  <div className="shortcuts__row" key={`${shortcut.keys.join('+')}-${shortcut.label}`}>
                    <dt>
                      {shortcut.keys.map((key, index) => (
                        <span key={key}>
                          {index > 0 && shortcut.keys[0] === 'Alt' ? '+ ' : ''}
                          <kbd>{key === '⌁' ? t('help.scanner') : key}</kbd>
                        </span>
                      ))}
                    </dt>
                    <dd>{t(shortcut.label as 'help.title')}</dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}
