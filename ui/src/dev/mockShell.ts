export function installMockShell(): void {}
