-- When each count line was counted (the person's time). A count line fixes the quantity as of
-- that moment, so closing the count needs it; `detalles_conteo` has no column for it.
CREATE TABLE sync_conteo_lineas (
    id_detalle_conteo uuid PRIMARY KEY REFERENCES detalles_conteo (id_detalle_conteo) ON DELETE CASCADE,
    contado_en timestamptz NOT NULL
);
