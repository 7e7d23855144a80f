//! Reading an organization's trail for the audit page: filters, newest first, keyset pages.

use serde_json::Value;
use sqlx::{Postgres, QueryBuilder};

use crate::model::audit::{AuditEntry, AuditPage, FieldChange};
use crate::model::error::AppError;
use crate::model::ids::UserId;
use crate::model::role::Action;
use crate::server::auth::TenantTx;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub entity_type: Option<String>,
    pub actor: Option<UserId>,
    pub action: Option<String>,
    /// Inclusive, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Inclusive, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
    /// Only events older than this number (the previous page's last).
    pub before_seq: Option<i64>,
}

type Row = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Value>,
    Option<Value>,
    String,
);

/// One page, newest first. Only the filters given become SQL conditions, so the planner can use
/// the matching index (organization + entity, actor, action or time, then number).
pub async fn page(tx: &mut TenantTx, filter: &Filter) -> Result<AuditPage, AppError> {
    tx.ctx().require(Action::ViewAudit)?;
    let date = |raw: &Option<String>| -> Result<Option<String>, AppError> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            // A real calendar day: `2026-13-45` has the shape and would fail in Postgres' cast.
            Some(d) if time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_ok() => {
                Ok(Some(d.to_owned()))
            }
            Some(d) => Err(AppError::Invalid(format!("`{d}` is not a date like 2026-01-31."))),
        }
    };
    let (from, to) = (date(&filter.from)?, date(&filter.to)?);
    let org = tx.ctx().org_id();
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT e.seq, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), e.actor_kind, \
         u.display_name, u.email, e.action, e.entity_type, e.entity_id, host(e.ip), e.before, e.after, encode(e.hash, 'hex') \
         FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id WHERE e.org_id = ",
    );
    sql.push_bind(org);
    if let Some(entity) = filter.entity_type.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND e.entity_type = ").push_bind(entity.to_owned());
    }
    if let Some(actor) = filter.actor {
        sql.push(" AND e.actor_user_id = ").push_bind(actor);
    }
    if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND e.action = ").push_bind(action.to_owned());
    }
    if let Some(from) = from {
        sql.push(" AND e.occurred_at >= (").push_bind(from).push("::date AT TIME ZONE 'UTC')");
    }
    if let Some(to) = to {
        sql.push(" AND e.occurred_at < ((").push_bind(to).push("::date + 1) AT TIME ZONE 'UTC')");
    }
    if let Some(before) = filter.before_seq {
        sql.push(" AND e.seq < ").push_bind(before);
    }
    sql.push(" ORDER BY e.seq DESC LIMIT ").push_bind(PAGE_SIZE + 1);
    let mut rows: Vec<Row> = sql.build_query_as().fetch_all(tx.conn()).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_before_seq = if more { rows.last().map(|r| r.0) } else { None };
    Ok(AuditPage { entries: rows.into_iter().map(entry).collect(), next_before_seq })
}

fn entry(row: Row) -> AuditEntry {
    let (seq, occurred_at, actor_kind, name, email, action, entity_type, entity_id, ip, before, after, hash) = row;
    let actor = match (name, email) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        _ => actor_kind,
    };
    AuditEntry {
        seq,
        occurred_at,
        actor,
        action,
        entity_type,
        entity_id,
        ip,
        changes: diff(before.as_ref(), after.as_ref()),
        hash,
    }
}

/// The fields that differ between `before` and `after` (all of them for a creation or removal),
/// in name order, values as short text.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let object = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let (old, new) = (object(before), object(after));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| FieldChange { field: k.clone(), before: old.get(k).map(show), after: new.get(k).map(show) })
        .collect()
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "(empty)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_diff_lists_only_what_changed() {
        let changes =
            diff(Some(&json!({"role": "staff", "org_id": "x"})), Some(&json!({"role": "admin", "org_id": "x"})));
        assert_eq!(
            changes,
            [FieldChange { field: "role".into(), before: Some("staff".into()), after: Some("admin".into()) }]
        );
        let created = diff(None, Some(&json!({"name": "Lab", "n": 2})));
        assert_eq!(created.len(), 2);
        assert!(created.iter().all(|c| c.before.is_none()));
    }
}
