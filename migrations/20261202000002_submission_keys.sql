-- Each log form carries a one-time key. The same key twice is the same signing (a second tap,
-- a reload after a lost answer, a phone resending its queue) and is answered with the first
-- log, so the permanent record never holds a duplicate.
ALTER TABLE cleaning_logs ADD COLUMN submission_key uuid;
CREATE UNIQUE INDEX cleaning_logs_submission_key ON cleaning_logs (org_id, submission_key)
    WHERE submission_key IS NOT NULL;
