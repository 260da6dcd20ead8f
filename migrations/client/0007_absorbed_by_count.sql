-- A count's detail names, on each line, the stock changes the count absorbed: changes dated
-- before the line's counted moment that reached the server after it, recorded in the ledger
-- without moving stock (`detalles.absorbido_por_conteo` names the count). Only those rows are
-- indexed (the expression is NULL on every other row and on malformed `detalles`), so reading
-- them costs what they are, not the ledger's history, and ordinary movements do not write
-- this index. The query must spell the expression exactly like this to use it.
CREATE INDEX idx_logs_inventario_absorbidos ON logs_inventario (
    (CASE WHEN json_valid(detalles) THEN json_extract(detalles, '$.absorbido_por_conteo') END)
) WHERE (CASE WHEN json_valid(detalles) THEN json_extract(detalles, '$.absorbido_por_conteo') END) IS NOT NULL;
