-- Used by run.sh: rows written before 0004 exists (an existing deployment),
-- so the backfill has something to capture.
INSERT INTO roles (id_rol, nombre_rol, permisos) VALUES ('90000000-0000-0000-0000-000000000001', 'legacy', '{}');
INSERT INTO usuarios (id_usuario, nombre_completo, email, id_rol)
VALUES ('90000000-0000-0000-0000-000000000002', 'Legacy', 'legacy@taller.test', '90000000-0000-0000-0000-000000000001');
INSERT INTO localizacion (id_localizacion, nombre) VALUES ('90000000-0000-0000-0000-000000000003', 'Legacy');
INSERT INTO usuarios_localizacion (id_usuario, id_localizacion)
VALUES ('90000000-0000-0000-0000-000000000002', '90000000-0000-0000-0000-000000000003');
INSERT INTO admin_notifications (id_admin, tipo_notificacion) VALUES ('90000000-0000-0000-0000-000000000002', 'alerta_stock');
INSERT INTO repuestos (id_repuesto, referencia, nombre) VALUES ('90000000-0000-0000-0000-000000000004', 'LEG-1', 'Legacy');
-- At or below its minimum: also creates a notificacion (trigger from 0003).
INSERT INTO inventario (id_inventario, id_localizacion, id_repuesto, stock_actual, cantidad_minima)
VALUES ('90000000-0000-0000-0000-000000000005', '90000000-0000-0000-0000-000000000003', '90000000-0000-0000-0000-000000000004', 1, 2);
-- The system user is seeded by 0005, so attribute this write explicitly.
SET taller.id_usuario = '90000000-0000-0000-0000-000000000002';
UPDATE inventario SET stock_actual = 3 WHERE id_inventario = '90000000-0000-0000-0000-000000000005';
