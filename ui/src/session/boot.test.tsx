import { act, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { InventoryQuery } from '../api';
import { createQueryClient } from '../api/queries';
import { createI18n } from '../i18n';
import { App } from '../App';
import { render } from '@testing-library/react';
import { inventoryRow, installShell, settle } from '../test/shell';
import { opensOnInventory, prefetchFirstScreen } from './boot';

describe('start-up', () => {
  it('asks for the inventory before the screen renders, and the screen asks nothing twice', async () => {
    const shell = installShell({
      inventory_page: (query: InventoryQuery) => ({ rows: [inventoryRow(0)], offset: query.offset ?? 0, total: 1 }),
    });
    window.location.hash = '';
    const client = createQueryClient();
    await prefetchFirstScreen(client, window.location.hash);
    // Before any render: who is signed in, the locations and the first window were asked.
    expect(shell.callsOf('current_user')).toHaveLength(1);
    expect(shell.callsOf('locations')).toHaveLength(1);
    const asked = shell.callsOf('inventory_page') as InventoryQuery[];
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ id_localizacion: 'loc-norte', search: '', low_only: false, offset: 0 });

    render(<App queryClient={client} i18n={createI18n('es')} />);
    expect(await screen.findByText('BAT-000000')).toBeInTheDocument();
    await act(() => settle());
    // The screens found the answers in the cache under the keys they use.
    expect(shell.callsOf('current_user')).toHaveLength(1);
    expect(shell.callsOf('locations')).toHaveLength(1);
    expect(shell.callsOf('inventory_page')).toHaveLength(1);
  });

  it('asks only for the user when signed out, and nothing of the inventory on another route', async () => {
    const shell = installShell({ current_user: () => null });
    await prefetchFirstScreen(createQueryClient(), '');
    expect(shell.callsOf('current_user')).toHaveLength(1);
    expect(shell.callsOf('locations')).toHaveLength(0);
    expect(shell.callsOf('inventory_page')).toHaveLength(0);

    const signedIn = installShell();
    await prefetchFirstScreen(createQueryClient(), '#/transfers');
    expect(signedIn.callsOf('locations')).toHaveLength(0);
    expect(signedIn.callsOf('inventory_page')).toHaveLength(0);
  });

  it('knows the routes that open on the inventory', () => {
    expect(['', '#', '#/', '#/inventory'].map(opensOnInventory)).toEqual([true, true, true, true]);
    expect(['#/movement', '#/parts/p1', '#/inventory/x'].map(opensOnInventory)).toEqual([false, false, false]);
  });
});
