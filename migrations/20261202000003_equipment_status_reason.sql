-- Why a piece of equipment was retired or reinstated, as the person said it. Kept on the row so
-- the audit trail's before/after of each change carries it.
ALTER TABLE equipment ADD COLUMN status_reason text NOT NULL DEFAULT '';
