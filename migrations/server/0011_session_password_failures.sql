-- Failed current-password checks made with a session (POST /v1/auth/password). After the
-- server's limit the session is revoked: a stolen access token is not a way to guess the
-- password. Counted in the database so every server process sees the same number.
ALTER TABLE sync_sesiones ADD COLUMN intentos_fallidos integer NOT NULL DEFAULT 0;
