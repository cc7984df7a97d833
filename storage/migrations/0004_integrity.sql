-- Schema 4: when the whole file was last checked.

-- Open checks the whole file (PRAGMA quick_check) only after an unclean
-- shutdown; otherwise it checks the small tables and the file's length,
-- and the whole file in the background once the last full check is older
-- than a week. checked_at (Unix seconds) is that last full check that
-- passed: a time, nothing of the patient.
CREATE TABLE integrity (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
) STRICT;
