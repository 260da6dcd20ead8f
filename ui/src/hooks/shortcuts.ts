// The keyboard shortcuts: one table, read by the handler and by the help overlay.

export interface Shortcut {
  /** Shown in the help overlay, as keys to press. */
  keys: string[];
  /** i18n key of what it does. */
  label: string;
}

export const NAVIGATION = [
  { path: '/inventory', key: '1', label: 'nav.inventory' },
  { path: '/movement', key: '2', label: 'nav.movement' },
  { path: '/transfers', key: '3', label: 'nav.transfers' },
  { path: '/counts', key: '4', label: 'nav.counts' },
  { path: '/warranties', key: '5', label: 'nav.warranties' },
  { path: '/orders', key: 'O', label: 'nav.orders' },
  { path: '/notifications', key: '6', label: 'nav.notifications' },
  { path: '/inbox', key: '7', label: 'nav.inbox' },
  { path: '/sync', key: '8', label: 'nav.sync' },
  { path: '/settings', key: '9', label: 'nav.settings' },
  { path: '/switch-user', key: '0', label: 'nav.switchUser' },
  // Only for roles that manage users (`users.manage`).
  { path: '/users', key: 'U', label: 'nav.users', manageUsers: true },
] as const;

export type NavigationItem = (typeof NAVIGATION)[number];

/** The sections a user sees: administration only with `users.manage`. */
export function visibleNavigation(canManageUsers: boolean): NavigationItem[] {
  return NAVIGATION.filter((item) => canManageUsers || !('manageUsers' in item));
}

/** The section an Alt shortcut opens: a digit by its key (any keyboard layout), a letter in either case. */
export function navigationFor(items: readonly NavigationItem[], key: string, code: string): NavigationItem | undefined {
  return items.find(
    (item) => item.key.toLowerCase() === key.toLowerCase() || code === `Digit${item.key}` || code === `Key${item.key}`,
  );
}

export const SHORTCUT_GROUPS: Array<{ title: string; shortcuts: Shortcut[] }> = [
  {
    title: 'help.groups.everywhere',
    shortcuts: [
      ...NAVIGATION.map((item) => ({ keys: ['Alt', item.key], label: item.label })),
      { keys: ['F9'], label: 'help.syncNow' },
      { keys: ['F1', '?'], label: 'help.open' },
      { keys: ['Esc'], label: 'help.close' },
    ],
  },
  {
    title: 'help.groups.inventory',
    shortcuts: [
      { keys: ['/'], label: 'help.focusSearch' },
      { keys: ['Alt', 'L'], label: 'help.toggleLow' },
      { keys: ['↓'], label: 'help.intoList' },
      { keys: ['↑', '↓', 'PgUp', 'PgDn', 'Home', 'End'], label: 'help.moveInList' },
      { keys: ['Enter'], label: 'help.openPart' },
      { keys: ['⌁'], label: 'help.scanOpens' },
    ],
  },
  {
    title: 'help.groups.movement',
    shortcuts: [
      { keys: ['⌁'], label: 'help.scanPart' },
      { keys: ['↑', '↓'], label: 'help.pickSuggestion' },
      { keys: ['Enter'], label: 'help.submitMovement' },
    ],
  },
  {
    title: 'help.groups.counts',
    shortcuts: [
      { keys: ['⌁'], label: 'help.scanCounts' },
      { keys: ['Enter'], label: 'help.submitCount' },
    ],
  },
];

/** Whether the key event comes from a place where a person types text. */
export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.tagName) return false;
  const tag = element.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select' || element.isContentEditable) return true;
  if (tag !== 'input') return false;
  const type = (element as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
}
