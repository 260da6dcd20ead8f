-- The replica: the server tables of the user's scope (same names and column order as
-- taller_protocol::tables::TABLES; a test checks they agree), plus the client's own tables.
-- uuid, text, timestamps and dates are TEXT as the server sends them; booleans are 0/1;
-- jsonb is JSON text. No foreign keys: a delta arrives whole and in any order, and the
-- server is the judge of references.

CREATE TABLE roles (
    id_rol TEXT NOT NULL,
    nombre_rol TEXT NOT NULL,
    permisos TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_rol)
) WITHOUT ROWID;

CREATE TABLE localizacion (
    id_localizacion TEXT NOT NULL,
    nombre TEXT NOT NULL,
    direccion TEXT,
    telefono TEXT,
    activo INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_localizacion)
) WITHOUT ROWID;

CREATE TABLE localizacion_politicas (
    id_localizacion TEXT NOT NULL,
    stock_negativo TEXT NOT NULL,
    PRIMARY KEY (id_localizacion)
) WITHOUT ROWID;

CREATE TABLE usuarios (
    id_usuario TEXT NOT NULL,
    nombre_completo TEXT NOT NULL,
    email TEXT NOT NULL,
    id_rol TEXT NOT NULL,
    aprobado INTEGER NOT NULL,
    aprobado_por TEXT,
    fecha_aprobacion TEXT,
    motivo_rechazo TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_usuario)
) WITHOUT ROWID;

CREATE TABLE usuarios_localizacion (
    id_usuario TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_usuario, id_localizacion)
) WITHOUT ROWID;

CREATE TABLE admin_notifications (
    id_admin TEXT NOT NULL,
    tipo_notificacion TEXT NOT NULL,
    activo INTEGER NOT NULL,
    PRIMARY KEY (id_admin, tipo_notificacion)
) WITHOUT ROWID;

CREATE TABLE repuestos (
    id_repuesto TEXT NOT NULL,
    referencia TEXT NOT NULL,
    nombre TEXT NOT NULL,
    tipo TEXT,
    marca TEXT,
    descripcion TEXT,
    descontinuado INTEGER NOT NULL,
    fecha_estimada TEXT,
    url_imagen TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_repuesto)
);

CREATE TABLE inventario (
    id_inventario TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    stock_actual INTEGER NOT NULL,
    cantidad_minima INTEGER NOT NULL,
    posicion TEXT,
    veces_contado INTEGER NOT NULL,
    nuevo_hasta TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (id_inventario)
) WITHOUT ROWID;

CREATE TABLE logs_inventario (
    id_log TEXT NOT NULL,
    id_inventario TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    tipo_operacion TEXT NOT NULL,
    cantidad_anterior INTEGER NOT NULL,
    cantidad_nueva INTEGER NOT NULL,
    diferencia INTEGER NOT NULL,
    motivo TEXT,
    detalles TEXT,
    fecha TEXT NOT NULL,
    PRIMARY KEY (id_log)
) WITHOUT ROWID;

CREATE TABLE carrito_solicitudes (
    id_item_carrito TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    cantidad INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_item_carrito)
) WITHOUT ROWID;

CREATE TABLE solicitudes (
    id_solicitud TEXT NOT NULL,
    id_localizacion_origen TEXT NOT NULL,
    id_localizacion_destino TEXT NOT NULL,
    id_usuario_solicitante TEXT NOT NULL,
    estado TEXT NOT NULL,
    fecha_creacion TEXT NOT NULL,
    fecha_alistamiento TEXT,
    fecha_despacho TEXT,
    fecha_recepcion TEXT,
    guia_transporte TEXT,
    observaciones_generales TEXT,
    PRIMARY KEY (id_solicitud)
) WITHOUT ROWID;

CREATE TABLE detalles_solicitud (
    id_detalle TEXT NOT NULL,
    id_solicitud TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    cantidad_solicitada INTEGER NOT NULL,
    cantidad_despachada INTEGER,
    cantidad_recibida INTEGER,
    observaciones TEXT,
    PRIMARY KEY (id_detalle)
) WITHOUT ROWID;

CREATE TABLE trazabilidad_solicitudes (
    id_trazabilidad TEXT NOT NULL,
    id_solicitud TEXT NOT NULL,
    estado_anterior TEXT,
    estado_nuevo TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    fecha_cambio TEXT NOT NULL,
    comentario TEXT,
    PRIMARY KEY (id_trazabilidad)
) WITHOUT ROWID;

CREATE TABLE movimientos_tecnicos (
    id_movimientos_tecnicos TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    id_usuario_responsable TEXT NOT NULL,
    id_tecnico_asignado TEXT NOT NULL,
    concepto TEXT NOT NULL,
    tipo TEXT NOT NULL,
    cantidad INTEGER NOT NULL,
    numero_orden INTEGER,
    descargada INTEGER NOT NULL,
    fecha TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (id_movimientos_tecnicos)
) WITHOUT ROWID;

CREATE TABLE garantias (
    id_garantia TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    id_usuario_reporta TEXT NOT NULL,
    id_tecnico_asociado TEXT,
    cantidad INTEGER NOT NULL,
    motivo_falla TEXT NOT NULL,
    kilometraje INTEGER,
    numero_orden TEXT,
    solicitante TEXT,
    estado TEXT NOT NULL,
    url_evidencia_foto TEXT,
    comentarios_resolucion TEXT,
    fecha_reporte TEXT NOT NULL,
    fecha_resolucion TEXT,
    PRIMARY KEY (id_garantia)
) WITHOUT ROWID;

CREATE TABLE registro_conteo (
    id_conteo TEXT NOT NULL,
    id_localizacion TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    fecha_conteo TEXT NOT NULL,
    total_items INTEGER NOT NULL,
    total_diferencias INTEGER NOT NULL,
    items_con_pq INTEGER NOT NULL,
    observaciones TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_conteo)
) WITHOUT ROWID;

CREATE TABLE detalles_conteo (
    id_detalle_conteo TEXT NOT NULL,
    id_conteo TEXT NOT NULL,
    id_repuesto TEXT NOT NULL,
    cantidad_sistema INTEGER NOT NULL,
    cantidad_csa INTEGER NOT NULL,
    cantidad_pq INTEGER NOT NULL,
    diferencia INTEGER NOT NULL,
    observaciones TEXT,
    PRIMARY KEY (id_detalle_conteo)
) WITHOUT ROWID;

CREATE TABLE conteos_cerrados (
    id_conteo TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    cerrado_en TEXT NOT NULL,
    PRIMARY KEY (id_conteo)
) WITHOUT ROWID;

CREATE TABLE scooter_types (
    id_tipo TEXT NOT NULL,
    nombre TEXT NOT NULL,
    potencia TEXT NOT NULL,
    descripcion TEXT,
    PRIMARY KEY (id_tipo)
) WITHOUT ROWID;

CREATE TABLE order_follow (
    id_orden TEXT NOT NULL,
    numero_orden TEXT NOT NULL,
    id_tipo_scooter TEXT NOT NULL,
    nivel INTEGER NOT NULL,
    estado TEXT NOT NULL,
    telefono_contacto TEXT,
    email_contacto TEXT,
    link_orden TEXT,
    fecha_orden TEXT NOT NULL,
    fecha_entrega_estimada TEXT,
    PRIMARY KEY (id_orden)
) WITHOUT ROWID;

CREATE TABLE notificaciones (
    id_notificacion TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    id_localizacion TEXT,
    titulo TEXT NOT NULL,
    mensaje TEXT NOT NULL,
    tipo TEXT NOT NULL,
    prioridad TEXT NOT NULL,
    leida INTEGER NOT NULL,
    datos TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_notificacion)
) WITHOUT ROWID;

CREATE TABLE conflictos (
    id_conflicto TEXT NOT NULL,
    id_usuario TEXT NOT NULL,
    id_mutacion TEXT,
    tipo TEXT NOT NULL,
    tabla TEXT NOT NULL,
    clave TEXT NOT NULL,
    campo TEXT,
    valor_reemplazado TEXT,
    valor_servidor TEXT,
    valor_nuevo TEXT,
    otro_usuario TEXT,
    detalles TEXT,
    revisado INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id_conflicto)
) WITHOUT ROWID;
CREATE INDEX idx_inventario_localizacion ON inventario (id_localizacion, id_repuesto);
CREATE INDEX idx_logs_inventario_item ON logs_inventario (id_inventario, fecha);
CREATE INDEX idx_detalles_solicitud ON detalles_solicitud (id_solicitud);
CREATE INDEX idx_trazabilidad ON trazabilidad_solicitudes (id_solicitud);
CREATE INDEX idx_detalles_conteo ON detalles_conteo (id_conteo);
CREATE INDEX idx_movimientos_localizacion ON movimientos_tecnicos (id_localizacion, fecha);
CREATE INDEX idx_solicitudes_estado ON solicitudes (estado);

-- Full-text search over parts: prefix queries, accent-insensitive ("bateria" finds "Batería").
-- External-content table kept in step by triggers (hence `repuestos` keeps its rowid).
CREATE VIRTUAL TABLE repuestos_fts USING fts5(
    referencia, nombre, marca, tipo,
    content = 'repuestos', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
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

-- The outbox: the user's mutations not yet acknowledged and visible in a pulled delta.
-- `seq` is the device's sequence (never reused: AUTOINCREMENT).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    at TEXT NOT NULL,
    -- pending: not acknowledged; applied: acknowledged, effects not yet pulled (txid);
    -- rejected: final refusal, kept until the next rebase removes its effect.
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'rejected')),
    txid INTEGER,
    outcome TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The server image of every row a pending mutation changed locally (NULL: the row did not
-- exist), so a pull can put the server state back before replaying what is pending.
CREATE TABLE shadow_rows (
    tabla TEXT NOT NULL,
    clave TEXT NOT NULL,
    image TEXT,
    PRIMARY KEY (tabla, clave)
) WITHOUT ROWID;

-- Pages of the delta being pulled, applied whole when its last page arrives.
CREATE TABLE staged_pages (
    page INTEGER PRIMARY KEY,
    payload TEXT NOT NULL
);

-- Sync bookkeeping and settings: cursor, staged cursor, device id, last success/error,
-- server URL, sync interval, language, cached offline credential.
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The conflict inbox's local half: the user's own rejected mutations, with the reason in
-- their language. (The server's half is the replicated `conflictos` table.)
CREATE TABLE rejected_mutations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    at TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    params TEXT,
    reviewed INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
