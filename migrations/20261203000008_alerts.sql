-- Alerts that arrive in time. A job (`server::alerts`) looks at each organization every few
-- minutes and writes one notification per person per event: equipment due within the hours a
-- person chose, equipment overdue, a failed cleaning, a corrective action assigned to them or past
-- due, a problem reported from a sticker. Each event has a key; a person's notification for a key
-- is written once (the primary key), so no alert is ever sent twice. The email goes out with it
-- (the outbox, as every email), or when the person's quiet hours end.

-- What a person wants, per organization; without a row, the defaults of their role
-- (`model::alerts::Preferences::for_role`).
CREATE TABLE alert_preferences (
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL REFERENCES users (id),
    -- Hours before a due time to warn; NULL: no "due soon" alert.
    due_soon_hours integer CHECK (due_soon_hours BETWEEN 1 AND 72),
    overdue boolean NOT NULL,
    failed_cleaning boolean NOT NULL,
    action_assigned boolean NOT NULL,
    action_overdue boolean NOT NULL,
    problem_reported boolean NOT NULL,
    email boolean NOT NULL,
    -- No email between these times (the facility's local time; may wrap past midnight); the
    -- in-app list still shows the alert at once.
    quiet_from time,
    quiet_until time,
    -- Only these facilities; NULL: all.
    facility_ids uuid[],
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id),
    CONSTRAINT alert_preferences_quiet_both CHECK ((quiet_from IS NULL) = (quiet_until IS NULL))
);

CREATE TABLE notifications (
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL REFERENCES users (id),
    event_key text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'failed_cleaning', 'action_assigned', 'action_overdue', 'problem_reported')),
    -- The instant the event is about (the due time, the failure, ...), and when it was noticed.
    event_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL,
    body text NOT NULL,
    -- A path in the app ("/corrective-actions", "/equipment/…"), and the zone of the facility
    -- the event is about (times are shown in it).
    link text NOT NULL,
    time_zone text NOT NULL,
    read_at timestamptz,
    -- The email: not wanted (NULL, NULL), waiting for quiet hours to end (email_after set), or
    -- handed to the outbox (emailed_at set).
    email_after timestamptz,
    emailed_at timestamptz,
    PRIMARY KEY (org_id, user_id, event_key)
);
CREATE INDEX notifications_unread_idx ON notifications (org_id, user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_email_idx ON notifications (org_id, email_after) WHERE email_after IS NOT NULL AND emailed_at IS NULL;

ALTER TABLE alert_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY alert_preferences_backup_reads ON alert_preferences FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY alert_preferences_tenant ON alert_preferences
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_backup_reads ON notifications FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY notifications_tenant ON notifications
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON alert_preferences
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'user_id');
