-- Photos attached to cleaning logs. The record comes first: a row is committed before its
-- files are written (stored_at still empty), then marked stored. A crash in between leaves a
-- row that names its files, never a file nobody knows about; the hourly cleanup removes such
-- rows and their files, and photos uploaded but never attached to a log within a day.

CREATE TABLE photos (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    -- The equipment it was taken of: a photo can only be attached to a log of the same.
    equipment_id uuid NOT NULL,
    uploaded_by uuid NOT NULL REFERENCES users (id),
    storage_key text NOT NULL,
    thumb_key text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    uploaded_as text NOT NULL CHECK (uploaded_as IN ('jpeg', 'png', 'webp')),
    byte_size integer NOT NULL CHECK (byte_size > 0),
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    -- Of the stored file, so anyone holding it can check it is the one on record.
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    stored_at timestamptz,
    PRIMARY KEY (org_id, id),
    CONSTRAINT photos_id_key UNIQUE (id),
    CONSTRAINT photos_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id)
);
CREATE INDEX photos_unattached_idx ON photos (org_id, created_at);

-- Which photos belong to which log. Written with the log, in its transaction; never changed.
CREATE TABLE log_photos (
    org_id uuid NOT NULL,
    log_id uuid NOT NULL,
    photo_id uuid NOT NULL,
    position smallint NOT NULL,
    PRIMARY KEY (org_id, photo_id),
    CONSTRAINT log_photos_log_fkey FOREIGN KEY (org_id, log_id) REFERENCES cleaning_logs (org_id, id),
    CONSTRAINT log_photos_photo_fkey FOREIGN KEY (org_id, photo_id) REFERENCES photos (org_id, id)
);
CREATE INDEX log_photos_log_idx ON log_photos (org_id, log_id, position);
CREATE TRIGGER log_photos_immutable BEFORE UPDATE OR DELETE ON log_photos
    FOR EACH ROW EXECUTE FUNCTION app.refuse_record_change();

-- Once a photo is stored, its record does not change (only the cleanup may delete one that no
-- log uses; the foreign key above refuses deleting one that a log uses).
CREATE FUNCTION app.photo_fixed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.stored_at IS NOT NULL OR (to_jsonb(NEW) - 'stored_at') <> (to_jsonb(OLD) - 'stored_at') THEN
        RAISE EXCEPTION 'a stored photo is never changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER photos_fixed BEFORE UPDATE ON photos FOR EACH ROW EXECUTE FUNCTION app.photo_fixed();

ALTER TABLE photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE photos FORCE ROW LEVEL SECURITY;
CREATE POLICY photos_tenant ON photos
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
ALTER TABLE log_photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_photos FORCE ROW LEVEL SECURITY;
CREATE POLICY log_photos_tenant ON log_photos
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON photos
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON log_photos
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'photo_id');
