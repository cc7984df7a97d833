-- Schema 2: key rotation and the audit trail of this device.

-- Bumped by every key rotation step that changes which keys seal what: a
-- process holding keys of an older epoch locks itself before writing.
ALTER TABLE install ADD COLUMN key_epoch INTEGER NOT NULL DEFAULT 0;

-- A profile's index key (the HMAC key of its row keys) wrapped by the KEK.
-- NULL: the index key is derived from the DEK (a profile never re-keyed).
-- Row keys stay the same across a rotation: only the sealed values change.
ALTER TABLE profile_keys ADD COLUMN wrapped_index BLOB;

-- A key rotation in progress (at most one row). The new KEK is sealed
-- under the old one until the rotation finishes, so whatever unlocks the
-- old KEK (keyring or passphrase) can finish it after a crash.
CREATE TABLE rekey (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    new_kek     BLOB    NOT NULL,            -- the new KEK sealed under the old KEK
    new_check   BLOB    NOT NULL,            -- kek_check under the new KEK
    salt        BLOB,                        -- the new KEK wrapped by the passphrase (NULL: no passphrase)
    kdf_time    INTEGER,
    kdf_memory  INTEGER,
    kdf_threads INTEGER,
    wrapped_kek BLOB
) STRICT;

-- Each profile's new DEK and its index key, wrapped by the new KEK, and how
-- far the re-sealing of its rows went (stage, last row done).
CREATE TABLE rekey_profiles (
    profile_id    TEXT    PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    wrapped_dek   BLOB    NOT NULL,
    wrapped_index BLOB    NOT NULL,
    stage         INTEGER NOT NULL DEFAULT 0,
    cursor        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The audit trail of this device: sign-ins, failed unlocks, exports, key
-- changes, profiles added and removed, access ended. Each entry is sealed
-- under the audit key (derived from the KEK) and chained by the SHA-256 of
-- the entry before it. A failed unlock happens while locked: it is kept as
-- a minimal clear record (time, kind, method; no patient data) in pending
-- and moved into the sealed chain at the next unlock.
CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    sealed  BLOB,                            -- sealed entry (NULL while pending)
    pending TEXT                             -- clear minimal record of a failed unlock
) STRICT;

-- The head of the chain (one row): its length and the hash of its last
-- entry, sealed under the audit key, so a trail cut short is noticed.
CREATE TABLE audit_head (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
) STRICT;
