-- What a local action reads must not grow with the outbox or the history
-- (docs/decisions/0003-checkpoints-off-the-action-path.md).

-- The number of pending outbox entries, kept by triggers in the writing transaction, so the
-- status every local action ends with reads one row instead of counting an outbox that grows
-- while the device is offline. (An index would still count every pending entry.)
CREATE TABLE outbox_pending (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO outbox_pending (id, n) SELECT 1, count(*) FROM outbox WHERE status = 'pending';

CREATE TRIGGER outbox_pending_insert AFTER INSERT ON outbox WHEN new.status = 'pending' BEGIN
    UPDATE outbox_pending SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_pending_delete AFTER DELETE ON outbox WHEN old.status = 'pending' BEGIN
    UPDATE outbox_pending SET n = n - 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_pending_update AFTER UPDATE OF status ON outbox
    WHEN (old.status = 'pending') <> (new.status = 'pending') BEGIN
    UPDATE outbox_pending SET n = n + (new.status = 'pending') - (old.status = 'pending') WHERE id = 1;
END;

-- The conflict count of the status: only the open ones, not every conflict ever received.
CREATE INDEX idx_rejected_mutations_open ON rejected_mutations (id) WHERE reviewed = 0;
CREATE INDEX idx_conflictos_abiertos ON conflictos (id_usuario) WHERE revisado = 0;

-- A stock change needs the item's latest count, not its whole ledger: only count rows are
-- indexed here, so movements do not write this index.
CREATE INDEX idx_logs_inventario_conteos ON logs_inventario (id_inventario, fecha)
    WHERE tipo_operacion = 'CONTEO_FISICO';
