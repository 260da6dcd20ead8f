import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createQueryClient } from './api/queries';
import { createI18n } from './i18n';
import { prefetchFirstScreen } from './session/boot';
import './styles/base.css';
import './styles/layout.css';
import './styles/forms.css';
import './styles/lists.css';
import './styles/import.css';
import './styles/transfers.css';
import './styles/counts.css';
import './styles/warranties.css';
import './styles/users.css';
import './styles/export.css';
import './styles/orders.css';

// Start-up steps in the page's performance timeline (read by the benchmarks).
performance.mark('taller:script');

async function start() {
  // `vite --mode mock` only: a stand-in for the Tauri shell, to look at the UI in a browser.
  // In any other build this branch is removed, and src/dev with it.
  if (import.meta.env.MODE === 'mock') {
    const { installMockShell } = await import('./dev/mockShell');
    installMockShell();
  }
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  const queryClient = createQueryClient();
  void prefetchFirstScreen(queryClient, window.location.hash);
  performance.mark('taller:render');
  createRoot(root).render(
    <StrictMode>
      <App queryClient={queryClient} i18n={createI18n('es')} />
    </StrictMode>,
  );
}

void start();
