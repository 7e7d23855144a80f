//! Database transactions that carry who is asking, for row-level security.
//!
//! Only the authentication layer can construct a [`TenantCtx`]: its fields are private, its
//! plain constructor is visible inside `server::auth` alone (for the flows that create a
//! membership), and the public [`TenantCtx::for_member`] reads an existing membership row. Every query on a
//! tenant-owned table runs in a [`TenantTx`], which can only be opened from a `TenantCtx` and
//! sets the per-transaction settings the policies read. Queries still filter by
//! `tx.ctx().org_id()` themselves; row-level security is the second wall, for the day one forgets.
//!
//! The few legitimate ways to look beyond one tenant are separate types with their own names:
//! [`UserTx`] (a person's own memberships, to switch organizations), [`InvitationTokenTx`]
//! (the one invitation whose token the caller holds), [`PlatformTx`] (operators' console).
//!
//! This module is the floor of the server: besides `model`, it uses only two leaves, the
//! request's origin (`http::origin`) and token hex (`auth::tokens`). Every `set_config` the policies read is made
//! here; the audit trail, the billing gate and the request helpers are built on it.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, FacilityId, OrgId, UserId};
use crate::model::role::{Action, Role};
use crate::server::http::origin::{request_meta, RequestMeta};

/// Who is acting, in which organization, with which role, and (for an inspector) which
/// facilities they may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    org_id: OrgId,
    user_id: UserId,
    role: Role,
    facilities: Option<Vec<FacilityId>>,
}

impl TenantCtx {
    /// For flows that are creating the membership itself (registration, accepted invitation).
    pub(super) fn new(org_id: OrgId, user_id: UserId, role: Role) -> TenantCtx {
        TenantCtx { org_id, user_id, role, facilities: None }
    }

    /// The context of `user` in organization `org` (or in their oldest membership when `org` is
    /// `None`), read from the membership row: there is no context without a real membership.
    /// For code that needs the context before its transaction (plain axum handlers, jobs, tests);
    /// server functions enter their transaction directly with [`TenantTx::enter`].
    pub async fn for_member(pool: &PgPool, org: Option<OrgId>, user: UserId) -> Result<Option<TenantCtx>, sqlx::Error> {
        let Some(tx) = TenantTx::enter(pool, user, org).await? else { return Ok(None) };
        let ctx = tx.ctx().clone();
        tx.commit().await?;
        Ok(Some(ctx))
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// An inspector: read-only, limited in time, every view recorded.
    pub fn is_guest(&self) -> bool {
        self.role == Role::Inspector
    }

    /// The facilities this context may see; `None` for all of them.
    pub fn facilities(&self) -> Option<&[FacilityId]> {
        self.facilities.as_deref()
    }

    pub fn can_see_facility(&self, facility: FacilityId) -> bool {
        self.facilities.as_ref().is_none_or(|list| list.contains(&facility))
    }

    /// The setting row-level security reads: a Postgres array literal, or empty for all.
    fn facility_setting(&self) -> String {
        match &self.facilities {
            None => String::new(),
            Some(list) => format!("{{{}}}", list.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
        }
    }

    /// Early exit for server functions: `ctx.require(Action::InviteMembers)?`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.role.can(action) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// A transaction inside one organization.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    ctx: TenantCtx,
}

impl TenantTx {
    /// An inspector's transaction is read-only in the database too: whatever a code path
    /// forgets to check, a guest changes nothing.
    pub async fn begin(pool: &PgPool, ctx: &TenantCtx) -> Result<TenantTx, sqlx::Error> {
        TenantTx::open(pool, ctx, ctx.is_guest()).await
    }

    async fn open(pool: &PgPool, ctx: &TenantCtx, read_only: bool) -> Result<TenantTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        if read_only {
            sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        }
        set_with_request(
            &mut tx,
            &[
                ("app.org_id", &ctx.org_id.to_string()),
                ("app.user_id", &ctx.user_id.to_string()),
                ("app.facility_ids", &ctx.facility_setting()),
            ],
        )
        .await?;
        Ok(TenantTx { tx, ctx: ctx.clone() })
    }

    /// A transaction in `user`'s organization `org` (their oldest membership when `None`), read
    /// from the membership row: `None` when they are not an active member there. One round trip
    /// (`app.enter_member`) sets the settings, reads the membership and enters the organization.
    pub async fn enter(pool: &PgPool, user: UserId, org: Option<OrgId>) -> Result<Option<TenantTx>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let (names, values) = request_settings();
        let found: Option<(OrgId, Role, Option<Vec<FacilityId>>)> =
            sqlx::query!("SELECT entered_org AS \"entered_org!: OrgId\", entered_role AS \"entered_role!: Role\", entered_facilities AS \"entered_facilities?: Vec<FacilityId>\" FROM app.enter_member($1, $2, $3, $4)", user as _, org as _, names as _, values as _).map(|r| (r.entered_org, r.entered_role, r.entered_facilities))
                .fetch_optional(&mut *tx)
                .await?;
        let Some((org_id, role, facilities)) = found else { return Ok(None) };
        let ctx = TenantCtx { org_id, user_id: user, role, facilities };
        if ctx.is_guest() {
            sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        }
        Ok(Some(TenantTx { tx, ctx }))
    }

    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// A transaction that sees one person's own memberships (and their organizations' names) across
/// organizations, and nothing else that is tenant-owned.
pub struct UserTx {
    tx: Transaction<'static, Postgres>,
    user_id: UserId,
}

impl UserTx {
    pub async fn begin(pool: &PgPool, user_id: UserId) -> Result<UserTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        set_with_request(&mut tx, &[("app.user_id", &user_id.to_string())]).await?;
        Ok(UserTx { tx, user_id })
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// A transaction that sees the single invitation whose token hash it was opened with.
pub struct InvitationTokenTx {
    tx: Transaction<'static, Postgres>,
}

impl InvitationTokenTx {
    pub async fn begin(pool: &PgPool, token_hash: &[u8]) -> Result<InvitationTokenTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        set_with_request(&mut tx, &[("app.invitation_token_hash", &super::tokens::to_hex(token_hash))]).await?;
        Ok(InvitationTokenTx { tx })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Continue in the invitation's organization as the person accepting it: the membership
    /// being created is what entitles them to the context.
    pub(super) async fn into_tenant(mut self, ctx: TenantCtx) -> Result<TenantTx, sqlx::Error> {
        set(&mut self.tx, &[("app.org_id", &ctx.org_id.to_string()), ("app.user_id", &ctx.user_id.to_string())])
            .await?;
        Ok(TenantTx { tx: self.tx, ctx })
    }
}

/// A read-only transaction that sees the single piece of equipment whose sticker token it holds.
pub struct StickerTx {
    tx: Transaction<'static, Postgres>,
}

impl StickerTx {
    pub async fn begin(pool: &PgPool, token: &str) -> Result<StickerTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        set(&mut tx, &[("app.qr_token", token)]).await?;
        Ok(StickerTx { tx })
    }

    /// A signed-in user's scan in one transaction: the sticker's equipment and the user's role
    /// in its organization are read together (this transaction sees that one equipment row
    /// and the user's own memberships), and the same transaction then continues as a tenant
    /// transaction there. `None` when the sticker is unknown, replaced or retired, or the user
    /// is not a member of its organization. A guest's scan is recorded by `record_guest`
    /// before their transaction turns read-only and they see anything.
    pub async fn member_scan(
        pool: &PgPool,
        token: &str,
        user: UserId,
        record_guest: impl AsyncFnOnce(&mut PgConnection, &TenantCtx, EquipmentId) -> Result<(), sqlx::Error>,
    ) -> Result<Option<(TenantTx, EquipmentId)>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let (names, values) = request_settings();
        // One round trip: the settings, the equipment with the membership, and from then on the
        // organization's rows and no longer the sticker's (`app.enter_by_sticker`).
        let found: Option<(OrgId, EquipmentId, Role, Option<Vec<FacilityId>>)> =
            sqlx::query!("SELECT entered_org AS \"entered_org!: OrgId\", entered_equipment AS \"entered_equipment!: EquipmentId\", entered_role AS \"entered_role!: Role\", entered_facilities AS \"entered_facilities?: Vec<FacilityId>\" FROM app.enter_by_sticker($1, $2, $3, $4)", token, user as _, names as _, values as _).map(|r| (r.entered_org, r.entered_equipment, r.entered_role, r.entered_facilities))
                .fetch_optional(&mut *tx)
                .await?;
        let Some((org, equipment, role, facilities)) = found else { return Ok(None) };
        let ctx = TenantCtx { org_id: org, user_id: user, role, facilities };
        if ctx.is_guest() {
            record_guest(&mut tx, &ctx, equipment).await?;
            sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        }
        Ok(Some((TenantTx { tx, ctx }, equipment)))
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// A signed-in member's scan in one statement, outside any transaction (`app.scan`): the same
/// entry as [`StickerTx::member_scan`], then the equipment's page (`app.equipment_page`, as JSON
/// text) read in the organization entered. The settings it makes are transaction-local, so
/// they end with the statement and never reach the next user of the pooled connection. `None`
/// when the sticker is unknown, replaced or retired, or the user is not a member there. A
/// guest's scan comes back without a page: their view is recorded before they see anything, in
/// a transaction ([`StickerTx::member_scan`]).
pub struct MemberScan {
    pub ctx: TenantCtx,
    pub equipment: EquipmentId,
    pub page: Option<String>,
}

pub async fn member_scan_page(
    pool: &PgPool,
    token: &str,
    user: UserId,
    history_shown: i64,
) -> Result<Option<MemberScan>, sqlx::Error> {
    let (names, values) = request_settings();
    let found = sqlx::query!("SELECT entered_org AS \"entered_org!: OrgId\", entered_equipment AS \"entered_equipment!: EquipmentId\", entered_role AS \"entered_role!: Role\", entered_facilities AS \"entered_facilities?: Vec<FacilityId>\", page AS \"page?: String\" FROM app.scan($1, $2, $3, $4, $5)", token, user as _, names as _, values as _, i32::try_from(history_shown).unwrap_or(i32::MAX)).map(|r| (r.entered_org, r.entered_equipment, r.entered_role, r.entered_facilities, r.page))
        .fetch_optional(pool)
        .await?;
    Ok(found.map(|(org, equipment, role, facilities, page)| {
        let ctx = TenantCtx { org_id: org, user_id: user, role, facilities };
        // The database says the same (`app.scan` gives a guest no page); checked here as well.
        let page = page.filter(|_| !ctx.is_guest());
        MemberScan { ctx, equipment, page }
    }))
}

/// A background job's transaction inside one organization (the overdue digest): it sees that
/// organization's rows, and any change it makes is recorded with the actor "job". Only jobs
/// build one, for organizations the scheduler listed; there is no user, so no `TenantCtx`.
pub struct OrgJobTx {
    tx: Transaction<'static, Postgres>,
}

impl OrgJobTx {
    pub async fn begin(pool: &PgPool, org: OrgId) -> Result<OrgJobTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        set(&mut tx, &[("app.org_id", &org.to_string()), ("app.actor_kind", "job")]).await?;
        Ok(OrgJobTx { tx })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// The organization that owns Stripe customer `customer`: a webhook's one cross-tenant read.
/// The event names the customer and its signature proves Stripe sent it; the customer was
/// created by us for exactly one organization, so this is the only organization the event may
/// affect. The transaction sees that one `billing_accounts` row and nothing else.
pub async fn org_of_stripe_customer(pool: &PgPool, customer: &str) -> Result<Option<OrgId>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    set(&mut tx, &[("app.stripe_customer", customer)]).await?;
    let org = sqlx::query_scalar!(
        r#"SELECT org_id AS "org_id: OrgId" FROM billing_accounts WHERE stripe_customer_id = $1"#,
        customer
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(org)
}

/// Single sign-on before anyone is signed in: the one organization's provider that an email
/// domain names (`app.sso_domain`), or that a sign-in in progress began with (`app.sso_org`,
/// from the server's own session, never from the request). Read-only; it sees that provider
/// and its domains, nothing else.
pub struct SsoTx {
    tx: Transaction<'static, Postgres>,
}

impl SsoTx {
    pub(super) async fn by_domain(pool: &PgPool, domain: &str) -> Result<SsoTx, sqlx::Error> {
        SsoTx::begin(pool, "app.sso_domain", domain).await
    }

    pub(super) async fn of_org(pool: &PgPool, org: OrgId) -> Result<SsoTx, sqlx::Error> {
        SsoTx::begin(pool, "app.sso_org", &org.to_string()).await
    }

    async fn begin(pool: &PgPool, name: &str, value: &str) -> Result<SsoTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        set(&mut tx, &[(name, value)]).await?;
        Ok(SsoTx { tx })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// A read-only transaction for platform operators. The policies check the operator flag of
/// `user_id` in the database, so holding this type is not enough without the flag.
pub struct PlatformTx {
    tx: Transaction<'static, Postgres>,
}

impl PlatformTx {
    pub(super) async fn begin(pool: &PgPool, operator: UserId) -> Result<PlatformTx, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        set(&mut tx, &[("app.user_id", &operator.to_string())]).await?;
        Ok(PlatformTx { tx })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// Records where the request came from in the transaction, for the audit trail's triggers.
pub async fn apply_meta(conn: &mut PgConnection, meta: &RequestMeta) -> Result<(), sqlx::Error> {
    set(conn, &meta_pairs(meta).iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await
}

fn meta_pairs(meta: &RequestMeta) -> Vec<(&'static str, String)> {
    let mut pairs = vec![("app.ip", meta.ip.to_string())];
    if let Some(agent) = &meta.user_agent {
        pairs.push(("app.user_agent", agent.clone()));
    }
    pairs
}

/// What became of a problem reported from a sticker (`app.report_problem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickerReport {
    Reported,
    /// This address reported on this sticker three times in the last hour.
    Limited,
    /// No such sticker, the equipment is retired, or its organization shows no public panel.
    NotFound,
}

/// A problem reported by someone without an account, by the sticker's token alone: the one
/// statement (`app.report_problem`) enters the sticker's organization for its insert and leaves
/// it again; the request's origin goes to the trail.
pub async fn report_from_sticker(
    pool: &PgPool,
    token: &str,
    description: &str,
    contact: Option<&str>,
    ip: Option<std::net::IpAddr>,
) -> Result<StickerReport, sqlx::Error> {
    let mut tx = pool.begin().await?;
    set_with_request(&mut tx, &[("app.qr_token", token)]).await?;
    let answer =
        sqlx::query_scalar!(r#"SELECT app.report_problem($1, $2, $3) AS "answer!""#, description, contact, ip as _)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(match answer.as_str() {
        "reported" => StickerReport::Reported,
        "limited" => StickerReport::Limited,
        _ => StickerReport::NotFound,
    })
}

/// A transaction in no tenant, for account-level changes made without a signed-in user (a
/// token link, a failed sign-in); carries the request's origin for the audit trail.
pub async fn begin_anonymous(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    set_with_request(&mut tx, &[]).await?;
    Ok(tx)
}

/// `pairs`, plus the request's origin (IP, user agent) for the audit trail when there is a
/// request, in one statement.
async fn set_with_request(conn: &mut PgConnection, pairs: &[(&str, &str)]) -> Result<(), sqlx::Error> {
    let meta = request_meta().map(|m| meta_pairs(&m)).unwrap_or_default();
    let all: Vec<(&str, &str)> = pairs.iter().copied().chain(meta.iter().map(|(k, v)| (*k, v.as_str()))).collect();
    set(conn, &all).await
}

/// The request's origin as setting names and values, for the functions that set them with
/// everything else (`app.enter_member`, `app.enter_by_sticker`).
fn request_settings() -> (Vec<&'static str>, Vec<String>) {
    request_meta().map(|m| meta_pairs(&m)).unwrap_or_default().into_iter().unzip()
}

/// Transaction-local settings (`true` to set_config: a pooled connection never carries them
/// into the next transaction), all in one round trip.
async fn set(conn: &mut PgConnection, pairs: &[(&str, &str)]) -> Result<(), sqlx::Error> {
    let (names, values): (Vec<&str>, Vec<&str>) = pairs.iter().copied().unzip();
    sqlx::query!(
        "SELECT set_config(name, value, true) FROM unnest($1::text[], $2::text[]) AS s(name, value)",
        names as _,
        values as _
    )
    .fetch_all(conn)
    .await
    .map(drop)
}

/// The one write an inspector makes: asking for a report (the export's row and its job). Any
/// member's request goes through here; it is the tenant transaction without the guest's
/// read-only mode.
pub async fn begin_export_request(pool: &PgPool, ctx: &TenantCtx) -> Result<TenantTx, sqlx::Error> {
    TenantTx::open(pool, ctx, false).await
}

/// A transaction of its own in `ctx`'s organization, carrying the request's origin, for a
/// member's security event (a view, a download): it is kept even for an inspector, whose tenant
/// transactions are read-only. `audit::record::record_member_event` is its one user.
pub async fn begin_member_event(
    pool: &PgPool,
    ctx: &TenantCtx,
    meta: &RequestMeta,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut pairs = meta_pairs(meta);
    pairs.push(("app.org_id", ctx.org_id.to_string()));
    pairs.push(("app.user_id", ctx.user_id.to_string()));
    set(&mut tx, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await?;
    Ok(tx)
}

/// A transaction in `ctx`'s organization that may record a file issued to its member (an
/// inspector's downloads included: issuing is recorded, as their views are).
pub async fn begin_issuing(pool: &PgPool, ctx: &TenantCtx) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    set(&mut tx, &[("app.org_id", &ctx.org_id.to_string()), ("app.user_id", &ctx.user_id.to_string())]).await?;
    Ok(tx)
}

/// The reads across every organization, each allowed by policies that check its named purpose.
#[derive(Debug, Clone, Copy)]
pub enum CrossTenantRead {
    /// The scheduler lists the organizations its jobs visit (the digest, the cleanups).
    Scheduler,
    /// `cleantrack audit verify` reads every organization's trail.
    AuditVerify,
}

/// A read-only transaction naming its cross-tenant purpose (`app.purpose`).
pub async fn begin_cross_tenant_read(
    pool: &PgPool,
    purpose: CrossTenantRead,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    let name = match purpose {
        CrossTenantRead::Scheduler => "scheduler",
        CrossTenantRead::AuditVerify => "audit_verify",
    };
    set(&mut tx, &[("app.purpose", name)]).await?;
    Ok(tx)
}

/// `/verify`'s one read: the issued files with this SHA-256 (hex), and their organizations'
/// names, in a read-only transaction that carries the hash (the policies show nothing else).
pub async fn begin_file_lookup(pool: &PgPool, sha256_hex: &str) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    set(&mut tx, &[("app.file_sha256", sha256_hex)]).await?;
    Ok(tx)
}

/// The demo organization of `cleantrack demo-data`: its owner acts, as at registration.
pub(crate) fn demo_ctx(org_id: OrgId, user: UserId, role: Role) -> TenantCtx {
    TenantCtx::new(org_id, user, role)
}

/// Registration: a brand-new organization whose first member is its owner.
pub(super) async fn begin_new_org(pool: &PgPool, org_id: OrgId, owner: UserId) -> Result<TenantTx, sqlx::Error> {
    TenantTx::begin(pool, &TenantCtx::new(org_id, owner, Role::Owner)).await
}
