-- Verification that is enforced: a cleaning under a protocol version that requires a second
-- signature awaits it (`app.awaiting_verification`); the organization sets how many days a
-- review may wait before it is overdue (listed on the review queue, the overview and in the
-- daily digest).
ALTER TABLE organizations
    ADD COLUMN review_days integer NOT NULL DEFAULT 7 CHECK (review_days BETWEEN 1 AND 90);
