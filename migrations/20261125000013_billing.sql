-- Billing with Stripe: each organization's plan and subscription as we last read it from Stripe,
-- the payments and refunds Stripe told us about, and every webhook event received (once).

-- One row per organization that has ever started a checkout; an organization without a row is
-- on the Free plan. Stripe is the source of truth: these columns are a copy, refreshed from
-- Stripe's API whenever an event says the subscription may have changed.
CREATE TABLE billing_accounts (
    org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    stripe_customer_id text NOT NULL,
    stripe_subscription_id text,
    -- The subscription's one item, whose quantity is the number of active facilities.
    stripe_item_id text,
    -- Stripe's subscription status (trialing, active, past_due, unpaid, canceled, ...).
    status text,
    quantity integer,
    trial_end timestamptz,
    current_period_end timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    -- When payment first failed and has not been made good since; the grace period counts
    -- from here. NULL while the subscription is in good standing.
    delinquent_since timestamptz,
    -- A trial is offered once per organization.
    trial_used boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_accounts_customer_key UNIQUE (stripe_customer_id),
    CONSTRAINT billing_accounts_subscription_key UNIQUE (stripe_subscription_id)
);

-- Payments, failed payments and refunds, as Stripe reported them: the billing page's history.
CREATE TABLE billing_records (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('payment', 'payment_failed', 'refund')),
    -- The invoice or charge it concerns.
    stripe_object_id text NOT NULL,
    -- In the currency's smallest unit (cents).
    amount bigint NOT NULL,
    currency text NOT NULL,
    occurred_at timestamptz NOT NULL,
    -- The (latest) event that reported it.
    stripe_event_id text NOT NULL,
    -- Stripe reports one payment twice (invoice.paid and invoice.payment_succeeded) and a
    -- refund again with a new total when more is refunded: one row per invoice or charge.
    CONSTRAINT billing_records_object_key UNIQUE (org_id, kind, stripe_object_id)
);
CREATE INDEX billing_records_org_idx ON billing_records (org_id, occurred_at DESC);

-- Every webhook event, recorded once by its id before anything else happens: a repeated
-- delivery finds its id here and is acknowledged without a second effect. Processing happens
-- in a job; `processed_at` and `outcome` say how it went. Belongs to no tenant until processed
-- (the organization is found from the Stripe customer, never from the request), like `jobs`.
CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    livemode boolean NOT NULL,
    -- Stripe's time of the event.
    created timestamptz NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    org_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    outcome text
);

ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_accounts_tenant ON billing_accounts
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
-- A webhook's job finds the organization that owns the Stripe customer an event names: it
-- sees that one row (server::auth::scope::StripeCustomerTx is its one user).
CREATE POLICY billing_accounts_customer_reads ON billing_accounts FOR SELECT
    USING (stripe_customer_id = nullif(current_setting('app.stripe_customer', true), ''));

ALTER TABLE billing_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_records FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_records_tenant ON billing_records
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

-- Every billing change is in the audit trail.
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON billing_accounts
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'org_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON billing_records
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
