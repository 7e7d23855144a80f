-- A cleaning is signed against a protocol, or with the signer's reason for having none
-- ("protocol being written; cleaned per the manufacturer's manual"), which reports show.
-- The rule holds for logs from now on (NOT VALID: earlier logs without a protocol stay as
-- they were signed; records are never rewritten).
ALTER TABLE cleaning_logs
    ADD COLUMN no_protocol_reason text CHECK (char_length(no_protocol_reason) <= 500),
    ADD CONSTRAINT cleaning_logs_protocol_or_reason
        CHECK ((protocol_id IS NULL) = (nullif(btrim(no_protocol_reason), '') IS NOT NULL)) NOT VALID;
