import { useTranslation } from 'react-i18next';
import { useAppInfo } from '../api/hooks';

/** The server refuses this app's protocol version: nothing else can sync until Taller is updated. */
export function UpdateRequired() {
  const { t } = useTranslation();
  const info = useAppInfo();
  return (
    <main className="public" id="main">
      <section className="public__card" role="alert" aria-labelledby="update-title">
        <h1 id="update-title">{t('update.title')}</h1>
        <p>{t('update.body')}</p>
        <p>{t('update.keep')}</p>
        {info.data && <p className="muted">{t('update.version', { version: info.data.version, protocol: info.data.protocol_version })}</p>}
      </section>
    </main>
  );
}
