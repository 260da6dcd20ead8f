-- Closing a count adds, per line, the item's ledger differences dated after the moment the line
-- was counted. `fecha` holds each row as its writer spelled it: the server's rows as PostgreSQL
-- printed them (fraction of a second only when there is one, and in the writing session's
-- offset), the replica's own with six digits and +00:00. As text those do not order as
-- instants, so the close used to read the item's whole ledger and compare in Rust. `instante`
-- is the same instant in one spelling, UTC with six digits (`YYYY-MM-DDTHH:MM:SS.ffffff`):
-- the seconds converted by SQLite with the fraction cut off first (it would round it to
-- milliseconds), the fraction's digits copied and padded. NULL when `fecha` is not a time, as
-- the old parse skipped such rows. Only non-count rows are indexed (the count rows have
-- idx_logs_inventario_conteos), so the read is an index range bounded by the rows after the
-- counted moment.
ALTER TABLE logs_inventario ADD COLUMN instante TEXT GENERATED ALWAYS AS (
    strftime('%Y-%m-%dT%H:%M:%S', substr(fecha, 1, 19) || ltrim(substr(fecha, 20), '.0123456789'))
    || '.' || substr(
        CASE WHEN substr(fecha, 20, 1) = '.'
             THEN substr(fecha, 21, length(fecha) - 20 - length(ltrim(substr(fecha, 20), '.0123456789')))
             ELSE '' END || '000000', 1, 6)
) VIRTUAL;
CREATE INDEX idx_logs_inventario_instante ON logs_inventario (id_inventario, instante)
    WHERE tipo_operacion <> 'CONTEO_FISICO';
