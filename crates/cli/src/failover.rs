//! `skytale failover`: the surviving data centre takes over when the primary one is lost.
//!
//! The procedure (ARCHITECTURE.md, "Two data centres"): make sure the primary data centre is
//! down or cut off and run this on the standby's side; the node following there (`serve
//! --follow`) takes over when it sees the promotion (without one, start `skytale serve
//! --store <the same URL>` there). This command promotes the standby PostgreSQL to primary (`pg_promote`),
//! optionally lets it commit without a standby until one is attached again (`--alone`), and
//! checks that the database holds every checkpoint this node's log keys kept.
//!
//! Why a command and not Patroni or pg_auto_failover: deciding that a data centre is lost is
//! the operators' call on election night (a cut link looks like a dead site from both sides),
//! and the one property that must hold whatever they decide is enforced elsewhere: the old
//! primary cannot acknowledge anything once its synchronous standby left it (its commits wait
//! for it), and the store's fence refuses any append that does not extend the head. An
//! automatic manager can be put in front later; it would call the same promotion.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use skytale_store::{Location, Store};

/// Promotes the standby at `location` and reports the elections it holds.
pub fn failover(
    data_dir: &Path,
    location: &Location,
    alone: bool,
    wait: Duration,
) -> Result<String> {
    let Location::Postgres(url) = location else {
        bail!("--store: failover is for a PostgreSQL standby (postgres://…); SQLite has none");
    };
    let mut out = String::new();
    use std::fmt::Write as _;
    let (standby, _) = skytale_store::pg::replication_state(url)
        .context("cannot reach the standby's PostgreSQL")?;
    if standby {
        let t = std::time::Instant::now();
        if !skytale_store::pg::promote(url, wait)? {
            bail!(
                "the standby was not promoted within {} s; see its PostgreSQL log",
                wait.as_secs()
            );
        }
        let _ = writeln!(
            out,
            "promoted the standby to primary in {:.1?}",
            t.elapsed()
        );
    } else {
        let _ = writeln!(out, "already a primary (nothing to promote)");
    }
    if alone {
        skytale_store::pg::set_synchronous_standby(url, "")?;
        let _ = writeln!(
            out,
            "commits no longer wait for a standby: until one is attached again \
             (synchronous_standby_names), receipts rest on this data centre alone"
        );
    }
    let store = Store::open_at(data_dir, location)?;
    for e in store.elections()? {
        let kept = store
            .kept_checkpoint(&e.id)?
            .map(|k| skytale_server::runtime::kept_size(&k));
        match kept {
            Some(k) if k > e.size => bail!(
                "election {}: the database has {} entries but this node's log key kept a checkpoint of size {k}: the standby lost acknowledged entries; do not serve from it",
                e.id,
                e.size
            ),
            Some(k) => {
                let _ = writeln!(out, "election {}: {} entries (this node kept size {k})", e.id, e.size);
            }
            None => {
                let _ = writeln!(out, "election {}: {} entries", e.id, e.size);
            }
        }
    }
    let _ = writeln!(
        out,
        "next: a node following on this database (serve --follow) takes over by itself within a \
         second; with none, start one: skytale serve --store '{location}' --data-dir {} (each \
         election's log key in {}/keys)",
        data_dir.display(),
        data_dir.display()
    );
    Ok(out)
}
