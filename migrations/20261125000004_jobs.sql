-- A durable job queue shared by every app instance. Jobs are enqueued in the same transaction
-- as the change that causes them (a rolled-back change leaves no job). Workers claim due jobs
-- with FOR UPDATE SKIP LOCKED, so two workers never take the same one, and hold a lease: a
-- worker that dies mid-job lets the lease expire and another worker runs it again (handlers are
-- idempotent). Failures retry with exponential back-off; after the last attempt, or an error
-- that cannot succeed, a job is `dead` and stays visible to platform operators.
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'succeeded', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    run_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_error text,
    -- Scheduled jobs (the daily digest) are enqueued once per period by whichever instance is first.
    dedup_key text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT jobs_dedup_key_key UNIQUE (dedup_key)
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_dead_idx ON jobs (finished_at DESC) WHERE state = 'dead';

-- Delivery of recorded emails: when the provider accepted it, and its id there.
ALTER TABLE outbound_emails ADD COLUMN delivered_at timestamptz, ADD COLUMN provider_id text;

-- The daily digest visits every organization: only in a read-only transaction that names this
-- purpose (server::jobs::digest is its one user).
CREATE POLICY organizations_scheduler_reads ON organizations FOR SELECT
    USING (current_setting('app.purpose', true) = 'scheduler' AND current_setting('transaction_read_only') = 'on');
