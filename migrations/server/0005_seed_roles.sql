-- Seeds (spec section 4). Runs after 0004 on purpose: the capture triggers
-- record these rows in the change feed, and the backfill (which ran on empty
-- tables in a fresh database) does not, so each is in the feed exactly once.

-- Fixed ids so tests and demo data can refer to the roles.
INSERT INTO roles (id_rol, nombre_rol, permisos) VALUES
(
    '00000000-0000-0000-0000-00000000a001', 'admin',
    '{"inventory":  {"view": true, "create": true, "edit": true, "delete": true},
      "requests":   {"view": true, "create": true, "approve": true},
      "guarantees": {"view": true, "create": true, "resolve": true},
      "users":      {"view": true, "manage": true}}'
),
(
    '00000000-0000-0000-0000-00000000a002', 'superuser',
    '{"inventory":  {"view": true, "create": true, "edit": true, "delete": true},
      "requests":   {"view": true, "create": true, "approve": true},
      "guarantees": {"view": true, "create": true, "resolve": true},
      "users":      {"view": true, "manage": false}}'
),
(
    '00000000-0000-0000-0000-00000000a003', 'tecnico',
    '{"inventory":  {"view": true, "create": true, "edit": false, "delete": false},
      "requests":   {"view": true, "create": true, "approve": false},
      "guarantees": {"view": true, "create": true, "resolve": false},
      "users":      {"view": false, "manage": false}}'
);

-- Author of writes made by other applications (see taller_usuario_sistema()).
-- Unapproved and without credentials, so nobody can log in as it.
INSERT INTO usuarios (id_usuario, nombre_completo, email, id_rol, aprobado)
VALUES (
    '00000000-0000-0000-0000-000000000000', 'Sistema', 'sistema@taller.invalid',
    '00000000-0000-0000-0000-00000000a003', false
);
