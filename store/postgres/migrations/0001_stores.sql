-- 0001: the tables of every mdmcred server-side store. Instants are
-- timestamptz (NULL for Go's zero time); secrets are never stored, only
-- keyed hashes (digest) and AEAD-sealed blobs (sealed).

-- otp.Store: one outstanding PIN per user.
CREATE TABLE mdmcred_otp_pin (
    user_name    text        PRIMARY KEY,
    digest       bytea       NOT NULL,
    issued_at    timestamptz,
    expires_at   timestamptz,
    failures     bigint      NOT NULL DEFAULT 0,
    last_failure timestamptz,
    void         boolean     NOT NULL DEFAULT false
);

-- enrollment.Store: one company passcode per site; the digest is unique
-- across sites (the index ResolveSite uses).
CREATE TABLE mdmcred_enrollment_passcode (
    site            text        PRIMARY KEY,
    digest          bytea       NOT NULL,
    sealed          bytea,
    generated_at    timestamptz,
    generated_by    text        NOT NULL DEFAULT '',
    disabled        boolean     NOT NULL DEFAULT false,
    disabled_at     timestamptz,
    disabled_by     text        NOT NULL DEFAULT '',
    failures        bigint      NOT NULL DEFAULT 0,
    last_failure    timestamptz,
    last_source     text        NOT NULL DEFAULT '',
    locked          boolean     NOT NULL DEFAULT false,
    locked_at       timestamptz,
    -- the failure count at which RecordFailure locked the record; the one
    -- call that returns this count is the one that locked it.
    locked_failures bigint,
    uses            bigint      NOT NULL DEFAULT 0,
    last_used       timestamptz,
    CONSTRAINT mdmcred_enrollment_passcode_digest_key UNIQUE (digest)
);

CREATE TABLE mdmcred_enrollment_event (
    seq      bigserial   PRIMARY KEY,
    site     text        NOT NULL,
    kind     smallint    NOT NULL,
    at       timestamptz,
    actor    text        NOT NULL DEFAULT '',
    source   text        NOT NULL DEFAULT '',
    failures bigint      NOT NULL DEFAULT 0
);
CREATE INDEX mdmcred_enrollment_event_site ON mdmcred_enrollment_event (site, seq);

-- passcode.Store: resets and their events. States 1-3 (requested, pending,
-- acknowledged) are open; a device has at most one open reset.
CREATE TABLE mdmcred_passcode_reset (
    id           text        PRIMARY KEY,
    device_id    text        NOT NULL,
    platform     smallint    NOT NULL,
    action       smallint    NOT NULL,
    state        smallint    NOT NULL,
    requested_by text        NOT NULL DEFAULT '',
    self_service boolean     NOT NULL DEFAULT false,
    owner        text        NOT NULL DEFAULT '',
    requested_at timestamptz,
    updated_at   timestamptz,
    stale_at     timestamptz,
    sealed       bytea,
    retain_until timestamptz,
    grace_ns     bigint      NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mdmcred_passcode_reset_one_open
    ON mdmcred_passcode_reset (device_id) WHERE state IN (1, 2, 3);
CREATE INDEX mdmcred_passcode_reset_stale
    ON mdmcred_passcode_reset (stale_at) WHERE state IN (1, 2, 3);

CREATE TABLE mdmcred_passcode_event (
    seq        bigserial   PRIMARY KEY,
    kind       smallint    NOT NULL,
    reset_id   text        NOT NULL,
    device_id  text        NOT NULL,
    from_state smallint    NOT NULL,
    to_state   smallint    NOT NULL,
    at         timestamptz,
    actor      text        NOT NULL DEFAULT ''
);
CREATE INDEX mdmcred_passcode_event_reset ON mdmcred_passcode_event (reset_id, seq);
CREATE INDEX mdmcred_passcode_event_device ON mdmcred_passcode_event (device_id, seq);

-- servicepass.Store: the issuer's audit log. It never holds a code, its MAC
-- or a key: the serial identifies the code.
CREATE TABLE mdmcred_servicepass_event (
    seq        bigserial   PRIMARY KEY,
    type       text        NOT NULL,
    at         timestamptz,
    admin      text        NOT NULL DEFAULT '',
    device_id  text        NOT NULL DEFAULT '',
    mode       smallint    NOT NULL,
    actions    smallint    NOT NULL,
    key_id     smallint    NOT NULL,
    serial     bigint      NOT NULL,
    expires_at timestamptz,
    day_valid  boolean     NOT NULL DEFAULT false,
    qr         boolean     NOT NULL DEFAULT false,
    email_to   text        NOT NULL DEFAULT '',
    language   text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT ''
);
CREATE INDEX mdmcred_servicepass_event_device ON mdmcred_servicepass_event (device_id, seq);
