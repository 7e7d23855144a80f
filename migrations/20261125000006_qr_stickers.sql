-- Whoever scans a sticker holds its token: that one piece of equipment's row is visible in a
-- transaction carrying the token, to find its organization (then the usual membership check
-- applies). Nothing else is visible that way.
CREATE POLICY equipment_sticker_reads ON equipment FOR SELECT
    USING (qr_token = nullif(current_setting('app.qr_token', true), ''));
