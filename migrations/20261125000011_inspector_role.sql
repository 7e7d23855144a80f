-- Inspectors: time-limited, read-only guests of an organization, limited to chosen facilities.
-- A value of its own (added alone: a new enum value cannot be used in the transaction that
-- adds it); the next migration gives memberships and invitations the guest's limits.
ALTER TYPE member_role ADD VALUE 'inspector';
