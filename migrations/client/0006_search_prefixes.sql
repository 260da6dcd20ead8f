-- Search as you type asks for one-letter prefixes at every word's first key ("m", then "mo";
-- "display t"). Without a prefix index of length 1 the full-text index merges the doclists of
-- every term starting with that letter, for the count, the set of matches and the window
-- alike. The same table, triggers and tokenizer as 0001, with prefix indexes of 1, 2 and 3
-- characters, rebuilt from `repuestos` (an external-content table: nothing else to copy).
DROP TRIGGER repuestos_fts_insert;
DROP TRIGGER repuestos_fts_delete;
DROP TRIGGER repuestos_fts_update;
DROP TABLE repuestos_fts;

CREATE VIRTUAL TABLE repuestos_fts USING fts5(
    referencia, nombre, marca, tipo,
    content = 'repuestos', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE TRIGGER repuestos_fts_insert AFTER INSERT ON repuestos BEGIN
    INSERT INTO repuestos_fts (rowid, referencia, nombre, marca, tipo)
    VALUES (new.rowid, new.referencia, new.nombre, new.marca, new.tipo);
END;
CREATE TRIGGER repuestos_fts_delete AFTER DELETE ON repuestos BEGIN
    INSERT INTO repuestos_fts (repuestos_fts, rowid, referencia, nombre, marca, tipo)
    VALUES ('delete', old.rowid, old.referencia, old.nombre, old.marca, old.tipo);
END;
CREATE TRIGGER repuestos_fts_update AFTER UPDATE ON repuestos BEGIN
    INSERT INTO repuestos_fts (repuestos_fts, rowid, referencia, nombre, marca, tipo)
    VALUES ('delete', old.rowid, old.referencia, old.nombre, old.marca, old.tipo);
    INSERT INTO repuestos_fts (rowid, referencia, nombre, marca, tipo)
    VALUES (new.rowid, new.referencia, new.nombre, new.marca, new.tipo);
END;
INSERT INTO repuestos_fts (repuestos_fts) VALUES ('rebuild');
