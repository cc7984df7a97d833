-- Schema 7: whether each profile's cached record was set aside (a damaged
-- data file rebuilt without it, see storage.RebuildDamaged) and has not
-- been downloaded in full since. The next sync downloads it in full, and
-- until that sync finishes the record is incomplete. In clear: it tells
-- only that the record must come again. Before this schema a cache that
-- held nothing was taken for one set aside, and so was an empty record
-- the practice shares nothing of: those profiles are marked once here, and
-- their next sync downloads them in full.
ALTER TABLE profiles ADD COLUMN record_set_aside INTEGER NOT NULL DEFAULT 0;
UPDATE profiles SET record_set_aside = 1
    WHERE NOT EXISTS (SELECT 1 FROM resources WHERE resources.profile = profiles.num);
