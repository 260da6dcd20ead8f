import '@testing-library/jest-dom/vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom lays nothing out. Scroll containers of virtual lists get a window's size, so that
// the virtualizer renders the rows a person would see (and only those).
for (const [property, size] of [
  ['clientHeight', 700],
  ['clientWidth', 1200],
] as const) {
  Object.defineProperty(HTMLElement.prototype, property, {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('virtual-scroll') ? size : 0;
    },
  });
}

// The first render of a test file also compiles the app: give it time on a busy machine.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  clearMocks();
  window.localStorage.clear();
  window.location.hash = '';
});
