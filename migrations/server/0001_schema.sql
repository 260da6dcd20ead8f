-- Domain schema: the documented central tables (shared/reference/trazea-columns.tsv)
-- plus the domain tables this project replicates to clients.
-- Spec: docs/design/server-schema-spec.md, sections 1, 2 and 5 (indexes).

-- ---------------------------------------------------------------------------
-- Users, roles, locations
-- ---------------------------------------------------------------------------

CREATE TABLE roles (
    id_rol      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Unique but not constrained to a fixed list: deployments may add roles.
    nombre_rol  text        NOT NULL UNIQUE,
    permisos    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usuarios (
    id_usuario        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    nombre_completo   text        NOT NULL,
    email             text        NOT NULL,
    id_rol            uuid        NOT NULL REFERENCES roles (id_rol),
    aprobado          boolean     NOT NULL DEFAULT false,
    aprobado_por      uuid        NULL REFERENCES usuarios (id_usuario),
    fecha_aprobacion  timestamptz NULL,
    motivo_rechazo    text        NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Login is by email, case-insensitively: two spellings must not be two accounts.
CREATE UNIQUE INDEX usuarios_email_lower_key ON usuarios (lower(email));

CREATE TABLE localizacion (
    id_localizacion  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    nombre           text        NOT NULL,
    direccion        text        NULL,
    telefono         text        NULL,
    activo           boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usuarios_localizacion (
    id_usuario       uuid        NOT NULL REFERENCES usuarios (id_usuario),
    id_localizacion  uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id_usuario, id_localizacion)
);

-- Undocumented key in the reference; one subscription per admin and type.
CREATE TABLE admin_notifications (
    id_admin           uuid    NOT NULL REFERENCES usuarios (id_usuario),
    tipo_notificacion  text    NOT NULL,
    activo             boolean NOT NULL DEFAULT true,
    PRIMARY KEY (id_admin, tipo_notificacion)
);

-- ---------------------------------------------------------------------------
-- Inventory
-- ---------------------------------------------------------------------------

CREATE TABLE repuestos (
    id_repuesto     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    referencia      text        NOT NULL,
    nombre          text        NOT NULL,
    tipo            text        NULL,
    marca           text        NULL,
    descripcion     text        NULL,
    descontinuado   boolean     NOT NULL DEFAULT false,
    fecha_estimada  date        NULL,
    url_imagen      text        NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The documented lookup index doubles as the uniqueness constraint, so
-- referencia is not indexed twice.
CREATE UNIQUE INDEX idx_repuestos_referencia ON repuestos (referencia);
ALTER TABLE repuestos
    ADD CONSTRAINT idx_repuestos_referencia UNIQUE USING INDEX idx_repuestos_referencia;

CREATE TABLE inventario (
    id_inventario    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_localizacion  uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_repuesto      uuid        NOT NULL REFERENCES repuestos (id_repuesto),
    -- May go negative under the location policy 'allow': no CHECK here.
    stock_actual     integer     NOT NULL DEFAULT 0,
    cantidad_minima  integer     NOT NULL DEFAULT 0 CHECK (cantidad_minima >= 0),
    posicion         text        NULL,
    veces_contado    integer     NOT NULL DEFAULT 0 CHECK (veces_contado >= 0),
    nuevo_hasta      timestamptz NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventario_localizacion_repuesto_key UNIQUE (id_localizacion, id_repuesto)
);

CREATE TABLE logs_inventario (
    id_log             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_inventario      uuid        NOT NULL REFERENCES inventario (id_inventario),
    id_usuario         uuid        NOT NULL REFERENCES usuarios (id_usuario),
    tipo_operacion     text        NOT NULL CHECK (tipo_operacion IN (
                           'AJUSTE_MANUAL', 'SOLICITUD_ENTRADA', 'SOLICITUD_SALIDA',
                           'MOVIMIENTO_TECNICO', 'CONTEO_FISICO', 'GARANTIA')),
    cantidad_anterior  integer     NOT NULL,
    cantidad_nueva     integer     NOT NULL,
    diferencia         integer     NOT NULL,
    motivo             text        NULL,
    detalles           jsonb       NULL,
    fecha              timestamptz NOT NULL DEFAULT now(),
    -- The ledger must add up: stock is only ever explained by these rows.
    CONSTRAINT logs_inventario_diferencia_check
        CHECK (diferencia = cantidad_nueva - cantidad_anterior)
);

-- ---------------------------------------------------------------------------
-- Transfer requests
-- ---------------------------------------------------------------------------

CREATE TABLE carrito_solicitudes (
    id_item_carrito  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_usuario       uuid        NOT NULL REFERENCES usuarios (id_usuario),
    id_localizacion  uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_repuesto      uuid        NOT NULL REFERENCES repuestos (id_repuesto),
    cantidad         integer     NOT NULL CHECK (cantidad > 0),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE solicitudes (
    id_solicitud             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_localizacion_origen   uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_localizacion_destino  uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_usuario_solicitante   uuid        NOT NULL REFERENCES usuarios (id_usuario),
    estado                   text        NOT NULL CHECK (estado IN (
                                 'PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO', 'CANCELADO')),
    fecha_creacion           timestamptz NOT NULL DEFAULT now(),
    fecha_alistamiento       timestamptz NULL,
    fecha_despacho           timestamptz NULL,
    fecha_recepcion          timestamptz NULL,
    guia_transporte          text        NULL,
    observaciones_generales  text        NULL,
    CONSTRAINT solicitudes_origen_destino_check
        CHECK (id_localizacion_origen <> id_localizacion_destino)
);

CREATE TABLE detalles_solicitud (
    id_detalle           uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    id_solicitud         uuid    NOT NULL REFERENCES solicitudes (id_solicitud) ON DELETE CASCADE,
    id_repuesto          uuid    NOT NULL REFERENCES repuestos (id_repuesto),
    cantidad_solicitada  integer NOT NULL CHECK (cantidad_solicitada > 0),
    -- Zero is a real outcome (nothing shipped / nothing arrived), hence >= 0.
    cantidad_despachada  integer NULL CHECK (cantidad_despachada >= 0),
    cantidad_recibida    integer NULL CHECK (cantidad_recibida >= 0),
    observaciones        text    NULL
);

CREATE TABLE trazabilidad_solicitudes (
    id_trazabilidad  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_solicitud     uuid        NOT NULL REFERENCES solicitudes (id_solicitud) ON DELETE CASCADE,
    estado_anterior  text        NULL CHECK (estado_anterior IN (
                         'PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO', 'CANCELADO')),
    estado_nuevo     text        NOT NULL CHECK (estado_nuevo IN (
                         'PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO', 'CANCELADO')),
    id_usuario       uuid        NOT NULL REFERENCES usuarios (id_usuario),
    fecha_cambio     timestamptz NOT NULL DEFAULT now(),
    comentario       text        NULL
);

-- ---------------------------------------------------------------------------
-- Operations: technician movements, warranties, physical counts
-- ---------------------------------------------------------------------------

CREATE TABLE movimientos_tecnicos (
    id_movimientos_tecnicos  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_localizacion          uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_repuesto              uuid        NOT NULL REFERENCES repuestos (id_repuesto),
    id_usuario_responsable   uuid        NOT NULL REFERENCES usuarios (id_usuario),
    id_tecnico_asignado      uuid        NOT NULL REFERENCES usuarios (id_usuario),
    concepto                 text        NOT NULL CHECK (concepto IN (
                                 'salida', 'ingreso', 'venta', 'garantia', 'prestamo',
                                 'cotizacion', 'devolucion')),
    tipo                     text        NOT NULL CHECK (tipo IN ('ingreso', 'salida', 'venta')),
    -- Direction lives in tipo, so the quantity is always a positive magnitude.
    cantidad                 integer     NOT NULL CHECK (cantidad > 0),
    numero_orden             integer     NULL,
    descargada               boolean     NOT NULL DEFAULT false,
    fecha                    timestamptz NOT NULL DEFAULT now(),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE garantias (
    id_garantia             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_repuesto             uuid        NOT NULL REFERENCES repuestos (id_repuesto),
    id_localizacion         uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_usuario_reporta      uuid        NOT NULL REFERENCES usuarios (id_usuario),
    id_tecnico_asociado     uuid        NULL REFERENCES usuarios (id_usuario),
    cantidad                integer     NOT NULL CHECK (cantidad > 0),
    motivo_falla            text        NOT NULL,
    kilometraje             integer     NULL,
    numero_orden            text        NULL,
    solicitante             text        NULL,
    estado                  text        NOT NULL CHECK (estado IN (
                                'SIN_ENVIAR', 'PENDIENTE', 'APROBADA', 'RECHAZADA')),
    url_evidencia_foto      text        NULL,
    comentarios_resolucion  text        NULL,
    fecha_reporte           timestamptz NOT NULL DEFAULT now(),
    fecha_resolucion        timestamptz NULL
);

CREATE TABLE registro_conteo (
    id_conteo          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_localizacion    uuid        NOT NULL REFERENCES localizacion (id_localizacion),
    id_usuario         uuid        NOT NULL REFERENCES usuarios (id_usuario),
    fecha_conteo       timestamptz NOT NULL DEFAULT now(),
    -- Summaries, maintained by trigger from detalles_conteo.
    total_items        integer     NOT NULL DEFAULT 0,
    total_diferencias  integer     NOT NULL DEFAULT 0,
    items_con_pq       integer     NOT NULL DEFAULT 0,
    observaciones      text        NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE detalles_conteo (
    id_detalle_conteo  uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    id_conteo          uuid    NOT NULL REFERENCES registro_conteo (id_conteo) ON DELETE CASCADE,
    id_repuesto        uuid    NOT NULL REFERENCES repuestos (id_repuesto),
    cantidad_sistema   integer NOT NULL,
    cantidad_csa       integer NOT NULL CHECK (cantidad_csa >= 0),
    cantidad_pq        integer NOT NULL DEFAULT 0 CHECK (cantidad_pq >= 0),
    diferencia         integer NOT NULL,
    observaciones      text    NULL,
    -- Documented formula; a CHECK rather than a generated column keeps the
    -- column writable by clients that replicate the row as-is.
    CONSTRAINT detalles_conteo_diferencia_check
        CHECK (diferencia = (cantidad_sistema + cantidad_pq) - cantidad_csa)
);

-- ---------------------------------------------------------------------------
-- Scooters
-- ---------------------------------------------------------------------------

CREATE TABLE scooter_types (
    id_tipo      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    nombre       text NOT NULL,
    potencia     text NOT NULL,
    descripcion  text NULL
);

CREATE TABLE order_follow (
    id_orden                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    numero_orden            text        NOT NULL,
    id_tipo_scooter         uuid        NOT NULL REFERENCES scooter_types (id_tipo),
    nivel                   integer     NOT NULL CHECK (nivel BETWEEN 1 AND 3),
    estado                  text        NOT NULL,
    telefono_contacto       text        NULL,
    email_contacto          text        NULL,
    link_orden              text        NULL,
    fecha_orden             timestamptz NOT NULL DEFAULT now(),
    fecha_entrega_estimada  date        NULL
);

-- ---------------------------------------------------------------------------
-- Tables this project adds (replicated to clients)
-- ---------------------------------------------------------------------------

-- The reference's triggers write notifications but never define the table.
CREATE TABLE notificaciones (
    id_notificacion  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_usuario       uuid        NOT NULL REFERENCES usuarios (id_usuario),
    id_localizacion  uuid        NULL REFERENCES localizacion (id_localizacion),
    titulo           text        NOT NULL,
    mensaje          text        NOT NULL,
    tipo             text        NOT NULL,
    prioridad        text        NOT NULL DEFAULT 'media' CHECK (prioridad IN ('baja', 'media', 'alta')),
    leida            boolean     NOT NULL DEFAULT false,
    datos            jsonb       NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- A location without a row follows the default policy ('allow').
CREATE TABLE localizacion_politicas (
    id_localizacion  uuid PRIMARY KEY REFERENCES localizacion (id_localizacion),
    stock_negativo   text NOT NULL DEFAULT 'allow' CHECK (stock_negativo IN ('allow', 'reject'))
);

-- cerrado_en is the person's time: late movements are absorbed relative to it.
CREATE TABLE conteos_cerrados (
    id_conteo   uuid        PRIMARY KEY REFERENCES registro_conteo (id_conteo) ON DELETE CASCADE,
    id_usuario  uuid        NOT NULL REFERENCES usuarios (id_usuario),
    cerrado_en  timestamptz NOT NULL
);

CREATE TABLE conflictos (
    id_conflicto       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_usuario         uuid        NOT NULL REFERENCES usuarios (id_usuario),
    -- No FK: sync_mutations is server-only bookkeeping created later.
    id_mutacion        uuid        NULL,
    tipo               text        NOT NULL CHECK (tipo IN (
                           'edicion_campo', 'stock_negativo', 'absorbido', 'fusion_referencia')),
    tabla              text        NOT NULL,
    clave              text        NOT NULL,
    campo              text        NULL,
    valor_reemplazado  jsonb       NULL,
    valor_servidor     jsonb       NULL,
    valor_nuevo        jsonb       NULL,
    otro_usuario       uuid        NULL REFERENCES usuarios (id_usuario),
    detalles           jsonb       NULL,
    revisado           boolean     NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- Indexes: the documented ones, then foreign keys used for scope lookups
-- ---------------------------------------------------------------------------

CREATE INDEX idx_inventario_localizacion ON inventario (id_localizacion);
CREATE INDEX idx_repuestos_nombre_gin ON repuestos USING gin (to_tsvector('spanish', nombre));
CREATE INDEX idx_repuestos_tipo ON repuestos (tipo);
CREATE INDEX idx_solicitudes_estado ON solicitudes (estado);
CREATE INDEX idx_solicitudes_fecha ON solicitudes (fecha_creacion DESC);
CREATE INDEX idx_movimientos_tecnico ON movimientos_tecnicos (id_tecnico_asignado);
CREATE INDEX idx_movimientos_fecha ON movimientos_tecnicos (fecha DESC);

CREATE INDEX idx_logs_inventario_inventario_fecha ON logs_inventario (id_inventario, fecha);
CREATE INDEX idx_detalles_solicitud_solicitud ON detalles_solicitud (id_solicitud);
CREATE INDEX idx_trazabilidad_solicitudes_solicitud ON trazabilidad_solicitudes (id_solicitud);
CREATE INDEX idx_detalles_conteo_conteo ON detalles_conteo (id_conteo);
CREATE INDEX idx_registro_conteo_localizacion ON registro_conteo (id_localizacion);
CREATE INDEX idx_garantias_localizacion ON garantias (id_localizacion);
CREATE INDEX idx_movimientos_localizacion ON movimientos_tecnicos (id_localizacion);
CREATE INDEX idx_carrito_solicitudes_usuario ON carrito_solicitudes (id_usuario);
CREATE INDEX idx_notificaciones_usuario ON notificaciones (id_usuario);
CREATE INDEX idx_usuarios_localizacion_localizacion ON usuarios_localizacion (id_localizacion);
-- Not in the spec's list, but a location's requests and a user's conflict inbox
-- are read by scope the same way as the tables above.
CREATE INDEX idx_solicitudes_origen ON solicitudes (id_localizacion_origen);
CREATE INDEX idx_solicitudes_destino ON solicitudes (id_localizacion_destino);
CREATE INDEX idx_conflictos_usuario ON conflictos (id_usuario);
