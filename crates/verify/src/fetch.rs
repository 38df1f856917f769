//! Step 2's transport: every tile of a tree size fetched in parallel (bounded), with a
//! progress bar on stderr that stays hidden when stderr is not a terminal.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt as _};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use skytale_tlog::tiles::{TilePath, TILE_WIDTH};

use crate::report::Failure;
use crate::source::Source;

/// Default number of tile requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A progress bar on stderr, or a hidden one.
pub fn progress_bar(len: u64, msg: &str, visible: bool) -> ProgressBar {
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg.to_owned());
    pb
}

/// The tile path under the log prefix.
pub fn tile_url_path(election: &str, p: &TilePath) -> String {
    format!("log/{election}/{}", p.to_path())
}

async fn fetch_one(source: &Source, election: &str, p: TilePath) -> Result<Vec<u8>, Failure> {
    let path = tile_url_path(election, &p);
    let fail = |why: String| Failure::new("tile_fetch", source.locate(&path), why);
    if let Some(b) = source.get(&path).await.map_err(|e| fail(e.why))? {
        return Ok(b);
    }
    // tlog-tiles: a partial tile may be gone once the full one exists; the reader only uses
    // the first `width` items of the fuller tile.
    if p.width() < TILE_WIDTH as u16 {
        let full = match p {
            TilePath::Hash { level, index, .. } => TilePath::Hash {
                level,
                index,
                width: TILE_WIDTH as u16,
            },
            TilePath::Entries { index, .. } => TilePath::Entries {
                index,
                width: TILE_WIDTH as u16,
            },
        };
        if let Some(b) = source
            .get(&tile_url_path(election, &full))
            .await
            .map_err(|e| fail(e.why))?
        {
            return Ok(b);
        }
    }
    Err(fail("not found".into()))
}

/// Fetches `paths` with at most `concurrency` requests in flight.
pub async fn fetch_tiles(
    source: &Source,
    election: &str,
    paths: Vec<TilePath>,
    concurrency: usize,
    progress: bool,
) -> Result<HashMap<TilePath, Vec<u8>>, Failure> {
    let pb = progress_bar(paths.len() as u64, "tiles", progress);
    let mut out = HashMap::with_capacity(paths.len());
    let mut results = stream::iter(paths)
        .map(|p| async move { (p, fetch_one(source, election, p).await) })
        .buffer_unordered(concurrency.max(1));
    while let Some((p, r)) = results.next().await {
        pb.inc(1);
        match r {
            Ok(b) => {
                out.insert(p, b);
            }
            Err(f) => {
                pb.finish_and_clear();
                return Err(f);
            }
        }
    }
    pb.finish_and_clear();
    Ok(out)
}
