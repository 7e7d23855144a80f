//! The hash chain: the canonical text of an event, and verification of a chain.
//!
//! An event's hash is SHA-256 of `cleantrack-audit-v1`, a newline, and its 13 text fields (in
//! [`FIELDS`] order) joined by newlines; field `prev_hash` is the previous event's hash (64 zeros
//! for event 1). The database computes it when the event is appended; this module recomputes it
//! independently from the same text, as a third party does from an export.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::checkpoints::{self, Expected};
use super::signing::AuditKey;
use crate::model::audit::ChainCheck;
use crate::model::ids::OrgId;

/// The hashed fields, in order; also the keys of an exported JSON line (plus `hash`).
pub const FIELDS: [&str; 13] = [
    "org_id",
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_user_id",
    "ip",
    "user_agent",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
];

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn hash_fields(fields: &[String]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"cleantrack-audit-v1");
    for field in fields {
        hasher.update(b"\n");
        hasher.update(field.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Walks one chain in order, event by event.
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier { next_seq: 1, prev_hash: GENESIS.to_owned() }
    }
}

impl Verifier {
    /// Checks the next event; `Err` gives the number of the first bad event and what is wrong.
    pub fn push(&mut self, seq: i64, fields: &[String], hash: &str) -> Result<(), (i64, String)> {
        let bad = |reason: String| Err((seq, reason));
        if fields.len() != FIELDS.len() {
            return bad(format!("it has {} fields instead of {}", fields.len(), FIELDS.len()));
        }
        if seq > self.next_seq {
            return Err((self.next_seq, format!("it is missing (event {seq} comes next)")));
        }
        if seq < self.next_seq {
            return bad("it appears twice or out of order".into());
        }
        if fields[1] != seq.to_string() {
            return bad(format!("its number reads {} inside the hashed text", fields[1]));
        }
        if fields[12] != self.prev_hash {
            return bad("it does not link to the previous event's hash".into());
        }
        if hash_fields(fields) != hash {
            return bad("its content does not match its hash (altered)".into());
        }
        self.next_seq += 1;
        self.prev_hash = hash.to_owned();
        Ok(())
    }

    pub fn events(&self) -> i64 {
        self.next_seq - 1
    }

    pub fn last_hash(&self) -> Option<String> {
        (self.next_seq > 1).then(|| self.prev_hash.clone())
    }
}

/// Recomputes the chain of `org` (`None`: the platform chain) as far as `conn` may read it, and
/// compares its end with the recorded chain head, so removing the latest events is noticed too.
/// An organization's chain is also checked against its signed checkpoints (see
/// `checkpoints`): a chain rewritten and re-hashed by someone without `key` fails there.
pub async fn verify(conn: &mut PgConnection, org: Option<OrgId>, key: &AuditKey) -> Result<ChainCheck, sqlx::Error> {
    let mut verifier = Verifier::default();
    let mut expected = match org {
        Some(org) => match Expected::new(org, key, checkpoints::list(conn, org).await?) {
            Ok(expected) => Some(expected),
            Err((seq, reason)) => return Ok(ChainCheck::Broken { seq, reason }),
        },
        None => None,
    };
    {
        let mut rows = sqlx::query!("SELECT seq AS \"seq!: i64\", fields AS \"fields!: Vec<String>\", hash AS \"hash!: String\" FROM audit_events_text WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY seq", org as _).map(|r| (r.seq, r.fields, r.hash))
        .fetch(&mut *conn);
        while let Some((seq, fields, hash)) = rows.try_next().await? {
            if let Err((seq, reason)) = verifier.push(seq, &fields, &hash) {
                return Ok(ChainCheck::Broken { seq, reason });
            }
            if let Some(Err((seq, reason))) = expected.as_mut().map(|e| e.event(seq, &hash)) {
                return Ok(ChainCheck::Broken { seq, reason });
            }
        }
    }
    let signed_through = match expected.map(|e| e.end(verifier.events())) {
        Some(Err((seq, reason))) => return Ok(ChainCheck::Broken { seq, reason }),
        Some(Ok(through)) => through,
        None => None,
    };
    let chain = org.map_or(uuid::Uuid::nil(), |o| o.0);
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query!("SELECT last_seq AS \"last_seq!: i64\", last_hash AS \"last_hash!: Vec<u8>\" FROM audit_chain_heads WHERE chain = $1", chain).map(|r| (r.last_seq, r.last_hash))
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((last_seq, last_hash)) = head {
        let last_hash: String = last_hash.iter().map(|b| format!("{b:02x}")).collect();
        if last_seq != verifier.events() || (last_seq > 0 && Some(last_hash) != verifier.last_hash()) {
            return Ok(ChainCheck::Broken {
                seq: verifier.events() + 1,
                reason: format!("the chain ends at event {} but {last_seq} were appended", verifier.events()),
            });
        }
    }
    if let Some(org) = org {
        if let Some(record) = altered_record(conn, org).await? {
            return Ok(ChainCheck::RecordAltered { events: verifier.events(), record });
        }
    }
    Ok(ChainCheck::Verified { events: verifier.events(), last_hash: verifier.last_hash(), signed_through })
}

/// The first signed record of `org` whose content no longer hashes to the hash sealed with it
/// (`app.log_content_hash`, `app.verification_content_hash`, `app.round_content_hash` for signed
/// monitoring rounds); records from before sealing have
/// none and are not checked.
async fn altered_record(conn: &mut PgConnection, org: OrgId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "(SELECT 'cleaning log ' || l.id AS \"v!\" FROM cleaning_logs l \
          WHERE l.org_id = $1 AND l.content_hash IS NOT NULL AND l.content_hash <> app.log_content_hash(l) \
          ORDER BY l.received_at LIMIT 1) \
         UNION ALL \
         (SELECT 'verification of cleaning log ' || v.log_id FROM verifications v \
          JOIN cleaning_logs l ON l.org_id = v.org_id AND l.id = v.log_id \
          WHERE v.org_id = $1 AND v.content_hash IS NOT NULL \
            AND v.content_hash <> app.verification_content_hash(v, l.content_hash) \
          ORDER BY v.verified_at LIMIT 1) \
         UNION ALL \
         (SELECT 'monitoring round ' || r.id FROM monitoring_rounds r \
          WHERE r.org_id = $1 AND r.content_hash IS NOT NULL AND r.content_hash <> app.round_content_hash(r) \
          ORDER BY r.signed_at LIMIT 1) \
         LIMIT 1",
        org as _
    )
    .fetch_optional(conn)
    .await
}

/// `cleantrack audit verify`: every chain (or one organization's), read in a read-only
/// transaction that names its purpose; the only reader of all tenants' trails.
pub async fn verify_all_chains_unscoped(
    pool: &sqlx::PgPool,
    key: &AuditKey,
    only: Option<OrgId>,
) -> Result<Vec<(Option<OrgId>, ChainCheck)>, sqlx::Error> {
    use crate::server::auth::scope::{begin_cross_tenant_read, CrossTenantRead};
    let mut tx = begin_cross_tenant_read(pool, CrossTenantRead::AuditVerify).await?;
    let chains: Vec<uuid::Uuid> =
        sqlx::query_scalar!("SELECT chain FROM audit_chain_heads ORDER BY chain").fetch_all(&mut *tx).await?;
    let mut results = Vec::new();
    for chain in chains {
        let org = (!chain.is_nil()).then_some(OrgId(chain));
        if only.is_some() && only != org {
            continue;
        }
        results.push((org, verify(&mut tx, org, key).await?));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, prev: &str) -> (Vec<String>, String) {
        let mut fields: Vec<String> = FIELDS.iter().map(|_| "-".to_owned()).collect();
        fields[1] = seq.to_string();
        fields[12] = prev.to_owned();
        let hash = hash_fields(&fields);
        (fields, hash)
    }

    #[test]
    fn a_consistent_chain_verifies_and_any_break_is_named() {
        let (f1, h1) = event(1, GENESIS);
        let (f2, h2) = event(2, &h1);
        let mut ok = Verifier::default();
        ok.push(1, &f1, &h1).unwrap();
        ok.push(2, &f2, &h2).unwrap();
        assert_eq!((ok.events(), ok.last_hash()), (2, Some(h2.clone())));

        let mut gap = Verifier::default();
        gap.push(1, &f1, &h1).unwrap();
        assert_eq!(gap.push(3, &f2, &h2).unwrap_err().0, 2, "the missing event is the first bad one");

        let mut altered = Verifier::default();
        let mut changed = f1.clone();
        changed[7] = "users.update".into();
        assert!(altered.push(1, &changed, &h1).unwrap_err().1.contains("altered"));

        let mut unlinked = Verifier::default();
        unlinked.push(1, &f1, &h1).unwrap();
        let (f2_bad, h2_bad) = event(2, GENESIS);
        assert!(unlinked.push(2, &f2_bad, &h2_bad).unwrap_err().1.contains("does not link"));
    }
}
