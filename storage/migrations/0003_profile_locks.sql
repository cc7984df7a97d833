-- Schema 3: a lock of one's own.

-- A profile with its own passphrase. Its data key and index key in
-- profile_keys are then wrapped twice: first by a key derived (Argon2id,
-- the salt and cost below) from the profile's own passphrase, then by the
-- KEK, so the app's unlock alone opens nothing of it. The passphrase is
-- never stored. hint is what the profile switcher shows of a closed
-- profile (its label and settings), sealed under the KEK.
CREATE TABLE profile_locks (
    profile_id  TEXT    PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    salt        BLOB    NOT NULL,
    kdf_time    INTEGER NOT NULL,
    kdf_memory  INTEGER NOT NULL,            -- KiB
    kdf_threads INTEGER NOT NULL,
    hint        BLOB    NOT NULL
) STRICT;
