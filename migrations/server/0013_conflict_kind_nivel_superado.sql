-- Scooter orders (decision 0018): an order advance that finds the order at its level or
-- beyond changes nothing and leaves its author a conflict of a new kind, `nivel_superado`.
ALTER TABLE conflictos DROP CONSTRAINT conflictos_tipo_check;
ALTER TABLE conflictos ADD CONSTRAINT conflictos_tipo_check CHECK (tipo IN (
    'edicion_campo', 'stock_negativo', 'absorbido', 'fusion_referencia', 'nivel_superado'));
