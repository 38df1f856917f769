//! Dominion cast vote record exports (RCTab provider `dominion`): a folder with
//! `ContestManifest.json`, `CandidateManifest.json` (and precinct manifests) and either one
//! `CvrExport.json` or many `CvrExport_<n>.json`.
//!
//! Marks name candidates by their Dominion `CandidateId`, which configs map to names through
//! candidate aliases. For each session the `Original` record is used when current, otherwise
//! `Modified` (sessions with neither are skipped); ambiguous marks are ignored; a contest with
//! outstack condition 7 ("exclude contest") is skipped, as RCTab does. Ranks beyond the
//! contest's `NumOfRanks` are rejected.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

/// Dominion's outstack condition meaning "exclude this contest".
const EXCLUDE_CONTEST_CONDITION_ID: i64 = 7;

#[derive(Deserialize)]
struct ContestManifest {
    #[serde(rename = "List", default)]
    list: Vec<ManifestContest>,
}

#[derive(Deserialize)]
struct ManifestContest {
    #[serde(rename = "Id")]
    id: serde_json::Value,
    #[serde(rename = "NumOfRanks", default)]
    num_of_ranks: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Export {
    #[serde(rename = "Sessions")]
    sessions: Vec<Session>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Session {
    #[serde(rename = "TabulatorId")]
    tabulator_id: serde_json::Value,
    #[serde(rename = "BatchId")]
    batch_id: serde_json::Value,
    #[serde(rename = "RecordId")]
    record_id: serde_json::Value,
    #[serde(rename = "Original")]
    original: Option<Record>,
    #[serde(rename = "Modified")]
    modified: Option<Record>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Record {
    #[serde(rename = "IsCurrent")]
    is_current: bool,
    #[serde(rename = "Cards")]
    cards: Option<Vec<Card>>,
    #[serde(rename = "Contests")]
    contests: Option<Vec<Contest>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Card {
    #[serde(rename = "Contests")]
    contests: Vec<Contest>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contest {
    #[serde(rename = "Id")]
    id: serde_json::Value,
    #[serde(rename = "OutstackConditionIds")]
    outstack: Vec<i64>,
    #[serde(rename = "Marks")]
    marks: Vec<DMark>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DMark {
    #[serde(rename = "CandidateId")]
    candidate_id: serde_json::Value,
    #[serde(rename = "Rank")]
    rank: i64,
    #[serde(rename = "IsAmbiguous")]
    is_ambiguous: bool,
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(
    files: &dyn super::files::Files,
    path: &Path,
) -> Result<T, RcvError> {
    let f = files.open(path)?;
    serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, f)).map_err(|e| {
        RcvError::Cvr {
            path: path.to_path_buf(),
            row: Some(e.line() as u64),
            column: Some(e.column() as u64),
            why: format!("not a Dominion JSON file: {e}"),
        }
    })
}

fn export_files(fs: &dyn super::files::Files, dir: &Path) -> Result<Vec<PathBuf>, RcvError> {
    let single = dir.join("CvrExport.json");
    if fs.is_file(&single) {
        return Ok(vec![single]);
    }
    let mut files = Vec::new();
    for path in fs.list(dir)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let numbered = name
            .strip_prefix("CvrExport_")
            .and_then(|r| r.strip_suffix(".json"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered {
            files.push(path);
            if files.len() > super::MAX_FILES_IN_FOLDER {
                return Err(RcvError::Limit {
                    path: dir.to_path_buf(),
                    why: format!("more than {} CvrExport files", super::MAX_FILES_IN_FOLDER),
                });
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(RcvError::cvr(
            dir,
            None,
            "no CvrExport.json or CvrExport_<n>.json files",
        ));
    }
    Ok(files)
}

/// Reads a Dominion export folder.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let dir = &source.path;
    let wanted = source.contest_id.clone().unwrap_or_default();
    let manifest: ContestManifest = read_json(files, &dir.join("ContestManifest.json"))?;
    let max_ranks: HashMap<String, Option<i64>> = manifest
        .list
        .iter()
        .map(|c| (id_string(&c.id), c.num_of_ranks))
        .collect();
    let contest_max = *max_ranks.get(&wanted).ok_or_else(|| {
        RcvError::cvr(
            &dir.join("ContestManifest.json"),
            None,
            format!("no contest with Id {wanted:?} (config contestId)"),
        )
    })?;
    let before = sink.records();
    for file in export_files(files, dir)? {
        let export: Export = read_json(files, &file)?;
        for (si, s) in export.sessions.iter().enumerate() {
            let rec = match &s.original {
                Some(o) if o.is_current => o,
                _ => match &s.modified {
                    Some(m) => m,
                    None => continue,
                },
            };
            let contests: Vec<&Contest> = match (&rec.cards, &rec.contests) {
                (Some(cards), _) => cards.iter().flat_map(|c| c.contests.iter()).collect(),
                (None, Some(cs)) => cs.iter().collect(),
                (None, None) => Vec::new(),
            };
            for c in contests {
                if id_string(&c.id) != wanted || c.outstack.contains(&EXCLUDE_CONTEST_CONDITION_ID)
                {
                    continue;
                }
                let mut top = 0;
                for m in c.marks.iter().filter(|m| !m.is_ambiguous) {
                    let cid = id_string(&m.candidate_id);
                    top = top.max(m.rank);
                    if source.uwi_label.as_deref() == Some(cid.as_str()) {
                        match sink.table().uwi {
                            Some(u) => sink.rank(m.rank, Mark::Candidate(u)),
                            None => sink.rank_name(m.rank, crate::config::UWI_LABEL),
                        }
                    } else {
                        sink.rank_name(m.rank, &cid);
                    }
                }
                let cvr_id = format!(
                    "{}-{}-{}",
                    id_string(&s.tabulator_id),
                    id_string(&s.batch_id),
                    id_string(&s.record_id)
                );
                if let Some(max) = contest_max {
                    if top > max {
                        return Err(RcvError::MaxRankingExceeded {
                            path: file.clone(),
                            cvr: cvr_id,
                            rank: top as u32,
                            max: max as u32,
                        });
                    }
                }
                let f = file.clone();
                sink.end(&f, || format!("{cvr_id} (session {})", si + 1))?;
                if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
                    progress(sink.records());
                }
            }
        }
    }
    if sink.records() == before {
        return Err(RcvError::cvr(
            dir,
            None,
            format!("no cast vote records for contest {wanted:?}"),
        ));
    }
    Ok(())
}
