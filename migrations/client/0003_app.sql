-- What the desktop app's screens read (the client library's `app` module).

-- The inventory list's default order (by reference) walks this index and stops after one
-- window, whatever the number of parts; a scanned or typed reference finds its part by it.
CREATE INDEX idx_repuestos_referencia ON repuestos (referencia, id_repuesto);
CREATE INDEX idx_repuestos_referencia_upper ON repuestos (upper(referencia));

-- Conflicts the user reviewed on this replica. `conflictos` is a replicated table (a pull
-- rewrites its rows); this overlay is the replica's own, so a later pull does not undo a
-- review. The status's open count and the inbox read it by key.
CREATE TABLE reviewed_conflicts (
    id_conflicto TEXT PRIMARY KEY,
    reviewed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
