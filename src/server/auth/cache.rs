//! A few seconds' memory of who is signed in: the session, the user and the organizations
//! they belong to, so that a page does not read them from Postgres on every request (they were
//! 5 of the sticker page's 11 statements).
//!
//! Every entry lives at most [`REMEMBERED_FOR`]. This instance forgets an entry the moment it
//! changes what the entry holds: signing out deletes the session here and in Postgres; a new
//! password, name, confirmed email, role or membership calls [`AuthCache::forget_user`].
//! Another instance of the server keeps what it remembered until the entry's time is up: with
//! several instances, a sign-out, a password change or a removal reaches the others within
//! [`REMEMBERED_FOR`] (README, "Sessions and the cache"). What decides access inside an
//! organization is not taken from here: the member's role is read in the request's own
//! transaction (`app.enter_member`, `app.enter_by_sticker`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::sync::Cache;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions::SessionStore;

use super::user::User;
use crate::model::accounts::OrgMembership;
use crate::model::ids::UserId;

/// How long another instance may act on what it remembered.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(30);

/// Enough for every person signed in on a busy instance; beyond it the least used go first.
const CAPACITY: u64 = 50_000;

#[derive(Clone)]
pub struct AuthCache {
    sessions: Cache<Id, Record>,
    users: Cache<UserId, User>,
    memberships: Cache<UserId, Arc<Vec<OrgMembership>>>,
    /// Each session's row as `auth::sessions::guard` reads it (ended, idle limit, enrolment).
    live: Cache<uuid::Uuid, Live>,
}

impl Default for AuthCache {
    fn default() -> AuthCache {
        AuthCache::new(REMEMBERED_FOR)
    }
}

impl AuthCache {
    pub fn new(ttl: Duration) -> AuthCache {
        AuthCache { sessions: bounded(ttl), users: bounded(ttl), memberships: bounded(ttl), live: bounded(ttl) }
    }

    pub fn user(&self, id: UserId) -> Option<User> {
        self.users.get(&id)
    }

    pub fn remember_user(&self, user: &User) {
        self.users.insert(user.id, user.clone());
    }

    /// The organizations listed in the header (names and roles), not an access check.
    pub fn memberships(&self, id: UserId) -> Option<Arc<Vec<OrgMembership>>> {
        self.memberships.get(&id)
    }

    pub fn remember_memberships(&self, id: UserId, list: Vec<OrgMembership>) -> Arc<Vec<OrgMembership>> {
        let list = Arc::new(list);
        self.memberships.insert(id, list.clone());
        list
    }

    /// After anything about `id` changed (password, name, email confirmation, a role, a
    /// membership): their next request reads them afresh, and a new password ends their other
    /// sessions on this instance at once (axum-login compares the stored password hash).
    pub fn forget_user(&self, id: UserId) {
        self.users.invalidate(&id);
        self.memberships.invalidate(&id);
    }

    pub fn live_session(&self, sid: uuid::Uuid) -> Option<Live> {
        self.live.get(&sid)
    }

    pub fn remember_live_session(&self, sid: uuid::Uuid, live: Live) {
        self.live.insert(sid, live);
    }

    /// After a session was ended, or its person's second factor or organization's rules changed.
    pub fn forget_session(&self, sid: uuid::Uuid) {
        self.live.invalidate(&sid);
    }

    /// The front of the session store: `CachingSessionStore` reads here first and writes both.
    pub fn sessions(&self) -> RecentSessions {
        RecentSessions { cache: self.sessions.clone() }
    }
}

fn bounded<K, V>(ttl: Duration) -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder().max_capacity(CAPACITY).time_to_live(ttl).build()
}

/// What `auth::sessions::guard` knows of a session (its `user_sessions` row and the
/// organization's rules for it), remembered like the rest.
#[derive(Debug, Clone)]
pub struct Live {
    pub(super) user: UserId,
    /// The organization the limits below were read for.
    pub(super) org: Option<crate::model::ids::OrgId>,
    pub(super) ended: bool,
    /// Unix seconds of the last activity written.
    pub(super) last_seen: i64,
    pub(super) idle_limit: Option<i64>,
    pub(super) must_enrol: bool,
}

/// Sessions read or written in the last [`REMEMBERED_FOR`], in front of the Postgres store.
#[derive(Clone)]
pub struct RecentSessions {
    cache: Cache<Id, Record>,
}

impl fmt::Debug for RecentSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecentSessions").field("entries", &self.cache.entry_count()).finish()
    }
}

#[async_trait]
impl SessionStore for RecentSessions {
    /// The Postgres store has already picked an id no other session has.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.cache.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.cache.insert(record.id, record.clone());
        Ok(())
    }

    /// A session that expired while remembered is gone, as it is in Postgres.
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.cache.get(id).filter(|r| r.expiry_date > time::OffsetDateTime::now_utc()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.invalidate(id);
        Ok(())
    }
}
