-- Schema 5: the sealed search index.

-- Each profile's index is made of blind tokens: HMAC(index key, "search",
-- folded word), never the word. Posting lists are written in chunks, one
-- per token bucket (the first byte of the token) per write transaction,
-- each sealed under the profile's data key: a chunk holds the tokens of
-- its bucket with the local row numbers of the resources holding them,
-- the day of each resource and whether the word is in its title. In clear
-- stay only the profile's number and the bucket (8 bits of a keyed hash).
CREATE TABLE search_chunks (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    profile INTEGER NOT NULL REFERENCES profiles (num) ON DELETE CASCADE,
    bucket  INTEGER NOT NULL,
    sealed  BLOB    NOT NULL
) STRICT;
CREATE INDEX search_chunks_by_bucket ON search_chunks (profile, bucket);

-- The words of the index (for prefix search: "chol" finds the words that
-- start with it, whose tokens are then looked up), sealed in chunks.
CREATE TABLE search_vocab (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    profile INTEGER NOT NULL REFERENCES profiles (num) ON DELETE CASCADE,
    sealed  BLOB    NOT NULL
) STRICT;
CREATE INDEX search_vocab_by_profile ON search_vocab (profile);

-- How far each profile's index is: built (1) or being built (0, from the
-- resources after row cursor); gen counts the index's write transactions
-- (newer postings of a resource replace older ones). No row: not built
-- (a cache older than the index).
CREATE TABLE search_state (
    profile INTEGER PRIMARY KEY REFERENCES profiles (num) ON DELETE CASCADE,
    built   INTEGER NOT NULL DEFAULT 0,
    cursor  INTEGER NOT NULL DEFAULT 0,
    gen     INTEGER NOT NULL DEFAULT 0
) STRICT;
