//! Signed checkpoints of an organization's chain (see the signed_checkpoints migration): made
//! hourly while events arrive and at every export, checked by every chain verification.

use serde_json::json;
use sqlx::PgConnection;

use super::signing::{checkpoint_text, AuditKey};
use crate::model::ids::OrgId;

/// A checkpoint as stored and exported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    /// Hex.
    pub hash: String,
    /// UTC, to the microsecond, as signed.
    pub signed_at: String,
    pub key_id: String,
    /// Hex.
    pub signature: String,
}

impl Checkpoint {
    /// The text its signature signs.
    pub fn text(&self, org: OrgId) -> String {
        checkpoint_text(&org.to_string(), self.seq, &self.hash, &self.signed_at)
    }

    /// One line of `audit-checkpoints.jsonl`.
    pub fn json_line(&self, org: OrgId) -> String {
        let line = json!({
            "chain": org.to_string(),
            "seq": self.seq.to_string(),
            "hash": self.hash,
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature,
        });
        format!("{line}\n")
    }
}

/// Signs the organization's chain head as it is now, in `conn`'s transaction (which carries the
/// organization), unless the chain is empty or, for the hourly round, the last checkpoint
/// already covers it. Returns the new checkpoint.
pub async fn sign_head(
    conn: &mut PgConnection,
    key: &AuditKey,
    org: OrgId,
    reason: &str,
) -> Result<Option<Checkpoint>, sqlx::Error> {
    let head: Option<(i64, String, String, Option<i64>)> = sqlx::query!("SELECT h.last_seq AS \"last_seq!: i64\", encode(h.last_hash, 'hex') AS \"head_hash!: String\", app.utc(now()) AS \"signed_at!: String\", \
                (SELECT max(c.seq) FROM audit_checkpoints c WHERE c.org_id = $1) AS \"last_checkpoint?: i64\" \
         FROM audit_chain_heads h WHERE h.chain = $1 FOR SHARE", org as _).map(|r| (r.last_seq, r.head_hash, r.signed_at, r.last_checkpoint))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq, hash, signed_at, covered)) = head else { return Ok(None) };
    if seq == 0 || (reason == "hourly" && covered == Some(seq)) {
        return Ok(None);
    }
    let signature = key.sign(&checkpoint_text(&org.to_string(), seq, &hash, &signed_at));
    sqlx::query!(
        "INSERT INTO audit_checkpoints (org_id, seq, head_hash, signed_at, key_id, signature, reason) \
         VALUES ($1, $2, decode($3, 'hex'), $4::timestamptz, $5, decode($6, 'hex'), $7)",
        org as _,
        seq,
        &hash,
        &signed_at as _,
        key.key_id(),
        &signature,
        reason
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(Checkpoint { seq, hash, signed_at, key_id: key.key_id(), signature }))
}

/// The organization's checkpoints, oldest first.
pub async fn list(conn: &mut PgConnection, org: OrgId) -> Result<Vec<Checkpoint>, sqlx::Error> {
    sqlx::query_as!(
        Checkpoint,
        r#"SELECT seq, encode(head_hash, 'hex') AS "hash!", app.utc(signed_at) AS "signed_at!", key_id,
                  encode(signature, 'hex') AS "signature!"
           FROM audit_checkpoints WHERE org_id = $1 ORDER BY seq, id"#,
        org as _
    )
    .fetch_all(conn)
    .await
}

/// The organization's newest checkpoint (what a report prints), without reading the others.
pub async fn latest(conn: &mut PgConnection, org: OrgId) -> Result<Option<Checkpoint>, sqlx::Error> {
    sqlx::query_as!(
        Checkpoint,
        r#"SELECT seq, encode(head_hash, 'hex') AS "hash!", app.utc(signed_at) AS "signed_at!", key_id,
                  encode(signature, 'hex') AS "signature!"
           FROM audit_checkpoints WHERE org_id = $1 ORDER BY seq DESC, id DESC LIMIT 1"#,
        org as _
    )
    .fetch_optional(conn)
    .await
}

/// Checks a chain against its checkpoints as its events are read in order. A checkpoint under
/// another key is no evidence either way and is skipped; one under ours must verify and must
/// match the event it names.
pub struct Expected {
    /// Event number → (signed hash, when signed), for checkpoints under our key.
    signed: std::collections::BTreeMap<i64, Vec<(String, String)>>,
    /// The last event a checkpoint confirmed so far.
    confirmed: i64,
}

impl Expected {
    pub fn new(org: OrgId, key: &AuditKey, checkpoints: Vec<Checkpoint>) -> Result<Expected, (i64, String)> {
        let mut signed = std::collections::BTreeMap::<i64, Vec<(String, String)>>::new();
        for checkpoint in checkpoints.into_iter().filter(|c| c.key_id == key.key_id()) {
            if !key.verifies(&checkpoint.text(org), &checkpoint.signature) {
                return Err((
                    checkpoint.seq,
                    format!(
                        "the checkpoint of {} for event {} does not carry our key's signature (forged)",
                        checkpoint.signed_at, checkpoint.seq
                    ),
                ));
            }
            signed.entry(checkpoint.seq).or_default().push((checkpoint.hash, checkpoint.signed_at));
        }
        Ok(Expected { signed, confirmed: 0 })
    }

    /// Event `seq`, already found to link and hash correctly, against what was signed for it.
    pub fn event(&mut self, seq: i64, hash: &str) -> Result<(), (i64, String)> {
        let Some(signed) = self.signed.get(&seq) else { return Ok(()) };
        if let Some((_, at)) = signed.iter().find(|(signed, _)| signed != hash) {
            let first = self.confirmed + 1;
            return Err((
                first,
                format!(
                    "the chain was rewritten and re-hashed between events {first} and {seq}: event {seq} no longer has \
                     the hash our key signed on {at}"
                ),
            ));
        }
        self.confirmed = seq;
        Ok(())
    }

    /// After the last event (`events` of them): a checkpoint beyond it means events were removed.
    pub fn end(&self, events: i64) -> Result<Option<i64>, (i64, String)> {
        if let Some((seq, signed)) = self.signed.range(events + 1..).next() {
            return Err((
                events + 1,
                format!("events up to {seq} were signed on {} but the chain now ends at {events}", signed[0].1),
            ));
        }
        Ok((self.confirmed > 0).then_some(self.confirmed))
    }
}
