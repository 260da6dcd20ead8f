//! The pull cursor. Opaque to clients (base64url of JSON), meaningful to the server.
//!
//! A pull serves a *delta*: every change committed after snapshot `from` and visible in
//! snapshot `to`, where both are PostgreSQL transaction-visibility snapshots
//! (`pg_current_snapshot()`, text form `xmin:xmax:xip,...`). A transaction is in the delta
//! when it is visible in `to` and not in `from`, so no commit is skipped however transactions
//! interleave (contract invariant 4), and a page never depends on a server process's memory
//! (invariant 9). Pages of one delta are ordered by (table, key) and resumable from `after`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A PostgreSQL transaction snapshot: which transactions were committed when it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Snapshot {
    pub xmin: u64,
    pub xmax: u64,
    /// Transactions in progress at the time, each in `xmin..xmax`.
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
        !self.xip.contains(&txid)
    }
}

/// A snapshot text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a transaction snapshot: {0:?}")]
pub struct BadSnapshot(pub String);

impl FromStr for Snapshot {
    type Err = BadSnapshot;

    fn from_str(text: &str) -> Result<Snapshot, BadSnapshot> {
        let bad = || BadSnapshot(text.chars().take(80).collect());
        let mut parts = text.splitn(3, ':');
        let xmin: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let xmax: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let list = parts.next().ok_or_else(bad)?;
        let xip = if list.is_empty() {
            Vec::new()
        } else {
            list.split(',').map(|p| p.parse::<u64>().ok()).collect::<Option<Vec<u64>>>().ok_or_else(bad)?
        };
        if xmin == 0 || xmin > xmax || xip.iter().any(|&x| x < xmin || x >= xmax) {
            return Err(bad());
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

/// Where a client stands in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub v: u32,
    /// Everything visible in this snapshot is already in the replica (for `from_scope`).
    pub from: Snapshot,
    pub from_scope: Scope,
    /// The delta being served, once the first page fixed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Snapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_scope: Option<Scope>,
    /// The last (table, key) served in this delta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<(String, String)>,
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub total: u64,
}

/// A cursor that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server issued")]
pub struct BadCursor;

impl Cursor {
    pub const VERSION: u32 = 1;

    /// The cursor of a replica that has nothing yet.
    pub fn initial() -> Cursor {
        Cursor {
            v: Cursor::VERSION,
            from: Snapshot::empty(),
            from_scope: Scope::default(),
            to: None,
            to_scope: None,
            after: None,
            sent: 0,
            total: 0,
        }
    }

    pub fn encode(&self) -> String {
        // A struct of numbers and strings always serializes.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str) -> Result<Cursor, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadCursor)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| BadCursor)?;
        if cursor.v != Cursor::VERSION {
            return Err(BadCursor);
        }
        // The position names a replicated table and a key as the server writes them.
        if let Some((table, key)) = &cursor.after {
            let plausible_key = key.len() <= 200 && key.chars().all(|c| c.is_ascii_alphanumeric() || "-|_".contains(c));
            if crate::tables::table(table).is_none() || !plausible_key {
                return Err(BadCursor);
            }
        }
        Ok(cursor)
    }

    /// Whether a server transaction (an outcome's `txid`) is reflected in the replica once it
    /// has applied up to this cursor's completed delta.
    pub fn includes(&self, txid: u64) -> bool {
        self.from.is_visible(txid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_text_round_trip_and_visibility() {
        let snapshot: Snapshot = "100:105:101,103".parse().expect("valid");
        assert_eq!(snapshot.to_string(), "100:105:101,103");
        let visible: Vec<u64> = (95..110).filter(|&x| snapshot.is_visible(x)).collect();
        assert_eq!(visible, vec![95, 96, 97, 98, 99, 100, 102, 104]);
        assert_eq!("7:7:".parse::<Snapshot>().map(|s| s.xip.len()), Ok(0));
        for bad in ["", "1:2", "x:2:", "5:3:", "3:9:2", "3:9:9", "0:0:", "1:2:a"] {
            assert!(bad.parse::<Snapshot>().is_err(), "{bad:?}");
        }
        assert!(!Snapshot::empty().is_visible(1));
    }

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let mut cursor = Cursor::initial();
        cursor.to = Some("10:12:11".parse().expect("valid"));
        cursor.after = Some(("inventario".into(), "abc".into()));
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text), Ok(cursor));
        assert_eq!(Cursor::decode("not base64!"), Err(BadCursor));
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"v\":99}")), Err(BadCursor));
        for after in [("no_table", "abc"), ("inventario", "a\u{0}b"), ("inventario", "x' OR 1=1")] {
            let mut forged = Cursor::initial();
            forged.after = Some((after.0.into(), after.1.into()));
            assert_eq!(Cursor::decode(&forged.encode()), Err(BadCursor), "{after:?}");
        }
    }
}
