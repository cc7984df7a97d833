-- Schema 6: the month of each resource's own date in clear, so a screen
-- reads a recent period (the dashboard's new results) without opening
-- years of older resources. own_month is YYYY-MM (UTC) of the latest of
-- the resource's own dates as the app's DateOf reads them (when a result
-- was taken or issued), '' when it has none a single month would state
-- truly, NULL for rows written before this schema (unknown: always read).
-- Only the month is in clear; the day stays sealed.
ALTER TABLE resources ADD COLUMN own_month TEXT;

-- Replaces resources_by_type, whose columns it starts with: a write keeps
-- one index up to date by type, as before.
CREATE INDEX resources_by_type_month ON resources (profile, type, own_month);
DROP INDEX resources_by_type;
