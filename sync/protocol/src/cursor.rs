//! The pull cursor. Opaque to clients, authenticated by the server (contract invariant 12).
//!
//! A pull serves a *delta*: every change committed after snapshot `from` and visible in
//! snapshot `to`, where both are PostgreSQL transaction-visibility snapshots
//! (`pg_current_snapshot()`, text form `xmin:xmax:xip,...`). A transaction is in the delta
//! when it is visible in `to` and not in `from`, so no commit is skipped however transactions
//! interleave (contract invariant 4), and a page never depends on a server process's memory
//! (invariant 9). Pages of one delta are ordered by (table, key) and resumable from `after`.
//!
//! On the wire a cursor is `payload.tag`: the payload is base64url of the cursor's JSON, the
//! tag base64url of an HMAC-SHA256 over the payload text and the user it was issued to, with a
//! key only the server's database holds. The server checks the tag before it parses anything
//! ([`Cursor::open`]), so every cursor it parses is one it issued to that user; what a cursor
//! can say is bounded ([`MAX_CURSOR_LEN`], [`MAX_IN_PROGRESS`], [`KEY_INLINE_MAX`]) so that every
//! cursor the server issues fits the bound it checks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Most in-progress transactions a snapshot in a cursor may list. PostgreSQL lists at most one
/// per backend (`max_connections` is 100 by default); a snapshot with more is not put in a
/// cursor (the server answers "retry later" until the burst ends).
pub const MAX_IN_PROGRESS: usize = 1024;
/// Longest key, in bytes, a cursor carries whole. A longer one (keys are data: a notification
/// kind is free text) travels as its first bytes and the SHA-256 of the whole key.
pub const KEY_INLINE_MAX: usize = 512;
/// Longest cursor text the server looks at. Every cursor it issues is shorter (the worst case
/// of the bounds above is checked by a test).
pub const MAX_CURSOR_LEN: usize = 64 * 1024;

/// A PostgreSQL transaction snapshot: which transactions were committed when it was taken.
/// The in-progress list is strictly increasing, within `xmin..xmax` and at most
/// [`MAX_IN_PROGRESS`] long, as PostgreSQL prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Snapshot {
    pub xmin: u64,
    pub xmax: u64,
    /// Transactions in progress at the time, each in `xmin..xmax`, in increasing order.
    pub xip: Vec<u64>,
}

impl Snapshot {
    /// The snapshot before anything: nothing is visible in it.
    pub fn empty() -> Snapshot {
        Snapshot { xmin: 1, xmax: 1, xip: Vec::new() }
    }

    /// Whether the transaction `txid` had committed (or aborted) when the snapshot was taken:
    /// the same rule as PostgreSQL's `pg_visible_in_snapshot`.
    pub fn is_visible(&self, txid: u64) -> bool {
        if txid < self.xmin {
            return true;
        }
        if txid >= self.xmax {
            return false;
        }
        self.xip.binary_search(&txid).is_err()
    }

    /// Whether this snapshot can have been taken after `earlier`: everything finished in
    /// `earlier` is finished in this one.
    pub fn follows(&self, earlier: &Snapshot) -> bool {
        self.xmin >= earlier.xmin && self.xmax >= earlier.xmax && !self.xip.iter().any(|&x| earlier.is_visible(x))
    }
}

/// A snapshot text that a cursor cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSnapshot {
    #[error("not a transaction snapshot: {0:?}")]
    Malformed(String),
    #[error("more than {MAX_IN_PROGRESS} transactions in progress")]
    TooManyInProgress,
}

impl FromStr for Snapshot {
    type Err = BadSnapshot;

    fn from_str(text: &str) -> Result<Snapshot, BadSnapshot> {
        let bad = || BadSnapshot::Malformed(text.chars().take(80).collect());
        let mut parts = text.splitn(3, ':');
        let xmin: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let xmax: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let list = parts.next().ok_or_else(bad)?;
        if xmin == 0 || xmin > xmax {
            return Err(bad());
        }
        let mut xip = Vec::new();
        if !list.is_empty() {
            for (count, part) in list.split(',').enumerate() {
                if count == MAX_IN_PROGRESS {
                    return Err(BadSnapshot::TooManyInProgress);
                }
                let txid: u64 = part.parse().map_err(|_| bad())?;
                // Increasing and in range, as PostgreSQL prints it: a list with duplicates or out
                // of order is not one PostgreSQL took, and would make visibility checks costly.
                if txid < xmin || txid >= xmax || xip.last().is_some_and(|&last| txid <= last) {
                    return Err(bad());
                }
                xip.push(txid);
            }
        }
        Ok(Snapshot { xmin, xmax, xip })
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.xmin, self.xmax)?;
        for (i, x) in self.xip.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Snapshot {
    type Error = BadSnapshot;
    fn try_from(text: String) -> Result<Snapshot, BadSnapshot> {
        text.parse()
    }
}

impl From<Snapshot> for String {
    fn from(snapshot: Snapshot) -> String {
        snapshot.to_string()
    }
}

/// The read scope a delta was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    pub admin: bool,
    /// Sorted location ids.
    pub locs: Vec<Uuid>,
}

impl Scope {
    /// What a cursor records of a scope: a digest, so that a cursor's size does not grow with
    /// the number of locations, and equal scopes have equal digests.
    pub fn digest(&self) -> String {
        let mut locs = self.locs.clone();
        locs.sort_unstable();
        locs.dedup();
        let mut hash = Sha256::new();
        hash.update(b"taller scope\0");
        hash.update([u8::from(self.admin)]);
        for loc in &locs {
            hash.update(loc.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// The server's key for cursor tags. Kept in the server's database, never sent to clients.
#[derive(Clone)]
pub struct CursorKey(Hmac<Sha256>);

impl CursorKey {
    pub const LEN: usize = 32;

    /// A key of exactly [`CursorKey::LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<CursorKey> {
        if bytes.len() != CursorKey::LEN {
            return None;
        }
        <Hmac<Sha256> as Mac>::new_from_slice(bytes).ok().map(CursorKey)
    }

    fn mac(&self, user: Uuid, payload: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(b"taller pull cursor\0");
        mac.update(user.as_bytes());
        mac.update(payload.as_bytes());
        mac
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Where a client stands in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub v: u32,
    /// Everything visible in this snapshot is already in the replica (for `from_scope`).
    pub from: Snapshot,
    /// [`Scope::digest`] of the scope the replica holds.
    pub from_scope: String,
    /// The delta being served, once the first page fixed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Snapshot>,
    /// [`Scope::digest`] of the scope the delta is served for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_scope: Option<String>,
    /// The last (table, key) sent in this delta: a row the user was sent, so never a key
    /// outside their scope. A key longer than [`KEY_INLINE_MAX`] bytes is cut to its first
    /// bytes here, and `after_digest` names it whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<(String, String)>,
    /// SHA-256 (hex) of the whole key when `after` holds only its beginning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_digest: Option<String>,
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub total: u64,
}

/// A cursor that is not one this server issued to this user, or that it cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server issued")]
pub struct BadCursor;

impl Cursor {
    pub const VERSION: u32 = 2;

    /// The cursor of a replica that has nothing yet.
    pub fn initial() -> Cursor {
        Cursor {
            v: Cursor::VERSION,
            from: Snapshot::empty(),
            from_scope: Scope::default().digest(),
            to: None,
            to_scope: None,
            after: None,
            after_digest: None,
            sent: 0,
            total: 0,
        }
    }

    /// Records the position after the key `key` of `table`, cutting a long key.
    pub fn set_after(&mut self, table: &str, key: &str) {
        if key.len() <= KEY_INLINE_MAX {
            self.after = Some((table.to_owned(), key.to_owned()));
            self.after_digest = None;
        } else {
            let mut cut = KEY_INLINE_MAX;
            while !key.is_char_boundary(cut) {
                cut -= 1;
            }
            self.after = Some((table.to_owned(), key[..cut].to_owned()));
            self.after_digest = Some(key_digest(key));
        }
    }

    /// The payload text (base64url of the JSON), without a tag.
    pub fn encode(&self) -> String {
        // A struct of numbers and strings always serializes.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor as the server issues it to `user`: payload and tag.
    pub fn seal(&self, key: &CursorKey, user: Uuid) -> String {
        let payload = self.encode();
        let tag = key.mac(user, &payload).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The cursor `text`, when it is one issued to `user` under `key`. The length and the tag
    /// are checked before anything of the payload is decoded.
    pub fn open(text: &str, key: &CursorKey, user: Uuid) -> Result<Cursor, BadCursor> {
        if text.len() > MAX_CURSOR_LEN {
            return Err(BadCursor);
        }
        let (payload, tag) = text.rsplit_once('.').ok_or(BadCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| BadCursor)?;
        // Constant-time comparison.
        key.mac(user, payload).verify_slice(&tag).map_err(|_| BadCursor)?;
        Cursor::parse(payload)
    }

    /// What a cursor says, without checking who issued it. A client (which has no key) reads
    /// its completed delta's `from` with it ([`Cursor::includes`]); the server never trusts it.
    pub fn decode(text: &str) -> Result<Cursor, BadCursor> {
        if text.len() > MAX_CURSOR_LEN {
            return Err(BadCursor);
        }
        Cursor::parse(text.split_once('.').map_or(text, |(payload, _)| payload))
    }

    fn parse(payload: &str) -> Result<Cursor, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| BadCursor)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| BadCursor)?;
        if cursor.v != Cursor::VERSION {
            return Err(BadCursor);
        }
        if let Some((table, key)) = &cursor.after {
            if crate::tables::table(table).is_none() || key.len() > KEY_INLINE_MAX {
                return Err(BadCursor);
            }
        }
        if cursor.after_digest.as_ref().is_some_and(|d| cursor.after.is_none() || !is_digest(d)) {
            return Err(BadCursor);
        }
        Ok(cursor)
    }

    /// Whether a server transaction (an outcome's `txid`) is reflected in the replica once it
    /// has applied up to this cursor's completed delta.
    pub fn includes(&self, txid: u64) -> bool {
        self.from.is_visible(txid)
    }
}

/// SHA-256 (hex) of a key's UTF-8 text, as `after_digest` holds it.
pub fn key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::from_bytes(&[7; 32]).expect("32 bytes")
    }

    #[test]
    fn snapshot_text_round_trip_and_visibility() {
        let snapshot: Snapshot = "100:105:101,103".parse().expect("valid");
        assert_eq!(snapshot.to_string(), "100:105:101,103");
        let visible: Vec<u64> = (95..110).filter(|&x| snapshot.is_visible(x)).collect();
        assert_eq!(visible, vec![95, 96, 97, 98, 99, 100, 102, 104]);
        assert_eq!("7:7:".parse::<Snapshot>().map(|s| s.xip.len()), Ok(0));
        for bad in ["", "1:2", "x:2:", "5:3:", "3:9:2", "3:9:9", "0:0:", "1:2:a", "3:9:5,5", "3:9:6,5", "3:9:4,,5"] {
            assert!(matches!(bad.parse::<Snapshot>(), Err(BadSnapshot::Malformed(_))), "{bad:?}");
        }
        assert!(!Snapshot::empty().is_visible(1));
    }

    #[test]
    fn a_snapshot_lists_at_most_the_bound_of_transactions_in_progress() {
        let list = |n: u64| (10..10 + n).map(|x| x.to_string()).collect::<Vec<_>>().join(",");
        let most = format!("10:{}:{}", 10 + MAX_IN_PROGRESS as u64, list(MAX_IN_PROGRESS as u64));
        assert_eq!(most.parse::<Snapshot>().map(|s| s.xip.len()), Ok(MAX_IN_PROGRESS));
        let more = format!("10:{}:{}", 11 + MAX_IN_PROGRESS as u64, list(MAX_IN_PROGRESS as u64 + 1));
        assert_eq!(more.parse::<Snapshot>(), Err(BadSnapshot::TooManyInProgress));
    }

    #[test]
    fn follows_compares_what_each_snapshot_saw_finished() {
        let s = |text: &str| text.parse::<Snapshot>().expect("valid");
        assert!(s("10:20:12,15").follows(&s("10:18:12,15")));
        assert!(s("10:20:15").follows(&s("10:18:12,15")));
        assert!(!s("10:20:11,15").follows(&s("10:18:12,15")), "11 finished before, running after");
        assert!(!s("10:17:").follows(&s("10:18:")), "fewer transactions seen");
        assert!(!s("9:20:").follows(&s("10:18:")));
    }

    #[test]
    fn a_sealed_cursor_opens_only_for_its_user_and_key() {
        let user = Uuid::new_v4();
        let mut cursor = Cursor::initial();
        cursor.to = Some("10:12:11".parse().expect("valid"));
        cursor.set_after("inventario", "abc");
        let text = cursor.seal(&key(), user);
        assert_eq!(Cursor::open(&text, &key(), user), Ok(cursor.clone()));
        assert_eq!(Cursor::decode(&text), Ok(cursor.clone()), "readable without the key");
        assert_eq!(Cursor::open(&text, &key(), Uuid::new_v4()), Err(BadCursor), "another user");
        let other = CursorKey::from_bytes(&[8; 32]).expect("key");
        assert_eq!(Cursor::open(&text, &other, user), Err(BadCursor), "another key");
        assert_eq!(Cursor::open(&cursor.encode(), &key(), user), Err(BadCursor), "no tag");
        // Any one character changed, anywhere, is refused.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            if bytes[i] == b'.' {
                continue;
            }
            bytes[i] = alphabet.iter().copied().find(|&c| c != bytes[i]).expect("another letter");
            let changed = String::from_utf8(bytes).expect("ascii");
            assert_eq!(Cursor::open(&changed, &key(), user), Err(BadCursor), "character {i} changed");
        }
        for garbage in ["", ".", "not base64!.x", "a.b.c"] {
            assert_eq!(Cursor::open(garbage, &key(), user), Err(BadCursor), "{garbage:?}");
        }
    }

    #[test]
    fn a_signed_cursor_still_holds_only_what_the_server_writes() {
        let user = Uuid::new_v4();
        let sign = |json: serde_json::Value| {
            let payload = URL_SAFE_NO_PAD.encode(json.to_string());
            let tag = key().mac(user, &payload).finalize().into_bytes();
            format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
        };
        let scope = Scope::default().digest();
        let good = serde_json::json!({"v": 2, "from": "5:9:6,7", "from_scope": scope});
        assert!(Cursor::open(&sign(good), &key(), user).is_ok());
        for bad in [
            serde_json::json!({"v": 1, "from": "5:9:", "from_scope": scope}),
            serde_json::json!({"v": 2, "from": "5:9:7,6", "from_scope": scope}),
            serde_json::json!({"v": 2, "from": "5:9:6,6", "from_scope": scope}),
            serde_json::json!({"v": 2, "from": "5:9:", "from_scope": scope, "after": ["no_table", "k"]}),
            serde_json::json!({"v": 2, "from": "5:9:", "from_scope": scope, "after": ["roles", "k"], "after_digest": "zz"}),
            serde_json::json!({"v": 2, "from": "5:9:", "from_scope": scope, "after_digest": key_digest("k")}),
        ] {
            assert_eq!(Cursor::open(&sign(bad.clone()), &key(), user), Err(BadCursor), "{bad}");
        }
    }

    /// Any key round-trips: short ones whole, whatever their characters; long ones as their
    /// beginning (cut at a character boundary) and their digest.
    #[test]
    fn any_key_round_trips_through_a_sealed_cursor() {
        let user = Uuid::new_v4();
        let long = format!("{}|{}", Uuid::new_v4(), "garantía ñ 🛴 ".repeat(100));
        for key_text in ["uuid|alerta garantía", "a\u{0}b", "x' OR 1=1", "comillas \" y \\ barra", long.as_str()] {
            let mut cursor = Cursor::initial();
            cursor.set_after("admin_notifications", key_text);
            let opened = Cursor::open(&cursor.seal(&key(), user), &key(), user).expect("opens");
            let (table, carried) = opened.after.clone().expect("a position");
            assert_eq!(table, "admin_notifications");
            match &opened.after_digest {
                None => assert_eq!(carried, key_text),
                Some(digest) => {
                    assert!(key_text.len() > KEY_INLINE_MAX && key_text.starts_with(&carried));
                    assert!(carried.len() <= KEY_INLINE_MAX && carried.len() > KEY_INLINE_MAX - 4);
                    assert_eq!(digest, &key_digest(key_text));
                }
            }
        }
    }

    /// The largest cursor the server can issue (both snapshots full, the longest position, the
    /// largest counts) is within the length the server looks at.
    #[test]
    fn the_largest_cursor_the_server_issues_fits_the_bound() {
        let big = u64::MAX - 2 * MAX_IN_PROGRESS as u64;
        let xip: Vec<u64> = (0..MAX_IN_PROGRESS as u64).map(|i| big + i).collect();
        let full = Snapshot { xmin: big, xmax: u64::MAX, xip };
        let mut cursor = Cursor::initial();
        cursor.from = full.clone();
        cursor.to = Some(full);
        cursor.to_scope = Some(Scope { admin: true, locs: vec![Uuid::new_v4(); 5000] }.digest());
        // Control characters are the longest to escape in JSON.
        cursor.set_after("trazabilidad_solicitudes", &"\u{1}".repeat(KEY_INLINE_MAX * 2));
        cursor.sent = u64::MAX;
        cursor.total = u64::MAX;
        let text = cursor.seal(&key(), Uuid::new_v4());
        assert!(text.len() <= MAX_CURSOR_LEN, "{} > {MAX_CURSOR_LEN}", text.len());
        assert_eq!(Cursor::decode(&text), Ok(cursor));
    }

    #[test]
    fn a_scope_digest_ignores_location_order() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let digest = |admin, locs: Vec<Uuid>| Scope { admin, locs }.digest();
        assert_eq!(digest(false, vec![a, b]), digest(false, vec![b, a]));
        assert_ne!(digest(false, vec![a]), digest(false, vec![a, b]));
        assert_ne!(digest(false, vec![a]), digest(true, vec![a]));
    }
}
