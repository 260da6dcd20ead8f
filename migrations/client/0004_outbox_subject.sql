-- A local action that reads earlier entries of the outbox reads only those about the same
-- thing, by index: a count's lines (count.line by id_conteo), a claim's history (warranty.*
-- by id_garantia), a part created offline (part.create by id_repuesto). Before this, each
-- such action scanned every entry of the mutation's name, a read that grew with the outbox.
-- A generated column follows the arguments wherever they are rewritten (a merged part's id).
ALTER TABLE outbox ADD COLUMN subject TEXT GENERATED ALWAYS AS (
    CASE
        WHEN name = 'count.line' THEN json_extract(args, '$.id_conteo')
        WHEN name LIKE 'warranty.%' THEN json_extract(args, '$.id_garantia')
        WHEN name = 'part.create' THEN json_extract(args, '$.id_repuesto')
    END
) VIRTUAL;
CREATE INDEX idx_outbox_subject ON outbox (name, subject, seq) WHERE subject IS NOT NULL;
