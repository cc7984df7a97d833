-- Schema 1 of the Carebook cache. Clear columns hold only opaque ids,
-- resource types, statuses, counters and day-precision dates; everything
-- else is in the sealed BLOB columns (see crypto.go for the envelope).

-- One row: the master key (KEK) of this install.
CREATE TABLE install (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    install_id  TEXT    NOT NULL,            -- random, names the keyring entries
    in_keyring  INTEGER NOT NULL,            -- 1: the KEK is kept in the OS keyring
    kek_check   BLOB    NOT NULL             -- sealed under the KEK: proves a KEK is this install's
) STRICT;

-- The KEK wrapped by a passphrase-derived key (Argon2id). At most one row.
CREATE TABLE passphrase_kek (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    salt        BLOB    NOT NULL,
    kdf_time    INTEGER NOT NULL,
    kdf_memory  INTEGER NOT NULL,            -- KiB
    kdf_threads INTEGER NOT NULL,
    wrapped_kek BLOB    NOT NULL
) STRICT;

-- A profile: one practice x one patient. Its descriptive fields are sealed
-- under its own data key (DEK).
CREATE TABLE profiles (
    num    INTEGER PRIMARY KEY AUTOINCREMENT, -- compact local number, never reused
    id     TEXT NOT NULL UNIQUE,             -- random, opaque; the public id
    sealed BLOB NOT NULL
) STRICT;

-- The DEK of a profile, wrapped by the KEK. Kept apart from profiles so that
-- deleting a profile can destroy the key first, in its own transaction.
CREATE TABLE profile_keys (
    profile_id  TEXT PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    wrapped_dek BLOB NOT NULL
) STRICT;

-- Cached FHIR resources. row_key = HMAC(index key, type, server id). Rows
-- live in rowid order (append-mostly, so bulk inserts stay sequential even
-- though row keys are random); the narrow unique index finds them by key.
-- The profile is referenced by its number: index entries stay small.
CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    profile     INTEGER NOT NULL REFERENCES profiles (num) ON DELETE CASCADE,
    row_key     BLOB NOT NULL,
    type        TEXT NOT NULL,
    updated_day TEXT,                        -- YYYY-MM-DD of meta.lastUpdated, UTC
    sealed      BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX resources_by_key ON resources (profile, row_key);
CREATE INDEX resources_by_type ON resources (profile, type);

-- Sync checkpoints. name_key = HMAC(index key, name).
CREATE TABLE checkpoints (
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    name_key   BLOB NOT NULL,
    sealed     BLOB NOT NULL,
    PRIMARY KEY (profile_id, name_key)
) STRICT, WITHOUT ROWID;

-- What the patient wrote and the server has not confirmed yet.
-- ident_key = HMAC(index key, identifier).
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id TEXT    NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    ident_key  BLOB    NOT NULL,
    status     TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    UNIQUE (profile_id, ident_key)
) STRICT;
CREATE INDEX outbox_by_status ON outbox (profile_id, status, seq);

-- Secrets such as OAuth tokens. name_key = HMAC(index key, name). When
-- in_keyring is 1 the sealed value lives in the OS keyring and sealed is NULL.
CREATE TABLE secrets (
    profile_id TEXT    NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    name_key   BLOB    NOT NULL,
    in_keyring INTEGER NOT NULL,
    sealed     BLOB,
    PRIMARY KEY (profile_id, name_key)
) STRICT, WITHOUT ROWID;
