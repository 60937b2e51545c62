-- 0005: escrow.Store. One row per device and kind holds every record of
-- that kind as opaque bytes (encoded and sealed by package escrow), its
-- revision for compare-and-swap, when it is next due, and the oldest last
-- change of a closed record (for the purge).
CREATE TABLE IF NOT EXISTS mdmcred_escrow (
    device_id   text        NOT NULL,
    kind        text        NOT NULL,
    rev         bigint      NOT NULL,
    data        bytea       NOT NULL,
    due_at      timestamptz,
    closed_at   timestamptz,
    PRIMARY KEY (device_id, kind)
);
CREATE INDEX IF NOT EXISTS mdmcred_escrow_due ON mdmcred_escrow (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS mdmcred_escrow_closed ON mdmcred_escrow (closed_at) WHERE closed_at IS NOT NULL;

-- The record and command IDs a row holds ('r' || record ID, 'c' ||
-- command ID), written in the same statement as the row, so that a record
-- or command is found by a B-tree lookup (an array column with a GIN index
-- had no usable statistics for IDs that are all distinct, and the planner
-- chose sequential scans).
CREATE TABLE IF NOT EXISTS mdmcred_escrow_ref (
    ref       text NOT NULL PRIMARY KEY,
    device_id text NOT NULL,
    kind      text NOT NULL
);
CREATE INDEX IF NOT EXISTS mdmcred_escrow_ref_row ON mdmcred_escrow_ref (device_id, kind);

-- The audit trail: transitions and views (who, from where, why). It never
-- holds a secret.
CREATE TABLE IF NOT EXISTS mdmcred_escrow_event (
    seq        bigserial   PRIMARY KEY,
    type       smallint    NOT NULL,
    record_id  text        NOT NULL,
    device_id  text        NOT NULL,
    kind       text        NOT NULL,
    command_id text        NOT NULL DEFAULT '',
    from_state smallint    NOT NULL,
    to_state   smallint    NOT NULL,
    at         timestamptz,
    actor      text        NOT NULL DEFAULT '',
    source     text        NOT NULL DEFAULT '',
    reason     text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS mdmcred_escrow_event_record ON mdmcred_escrow_event (record_id, seq);
CREATE INDEX IF NOT EXISTS mdmcred_escrow_event_device ON mdmcred_escrow_event (device_id, seq);
CREATE INDEX IF NOT EXISTS mdmcred_escrow_event_at ON mdmcred_escrow_event (at);
