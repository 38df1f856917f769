//! NIST SP 1500-103 Common Data Format cast vote records, JSON encoding (RCTab provider `cdf`
//! with a `.json` file).
//!
//! The contest is chosen by the config's `contestId`, matched against the contest's `Name`
//! (as RCTab does). For each CVR the current snapshot's `CVRContest` for that contest is read;
//! a selection gives its rank either directly (`Rank`) or per `SelectionPosition` (skipping
//! positions with `HasIndication` "no" or `IsAllocable` "no"). Write-in selections
//! (`IsWriteIn`, or a position with `CVRWriteIn`) count as undeclared write-ins; a candidate
//! whose name equals the source's `overvoteLabel` is an explicit overvote.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Report {
    #[serde(rename = "CVR")]
    cvr: Vec<Cvr>,
    #[serde(rename = "Election")]
    election: Vec<Election>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Election {
    #[serde(rename = "Candidate")]
    candidate: Vec<JCandidate>,
    #[serde(rename = "Contest")]
    contest: Vec<Contest>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JCandidate {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contest {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "ContestSelection")]
    selection: Vec<ContestSelection>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContestSelection {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "CandidateIds")]
    candidate_ids: Vec<String>,
    #[serde(rename = "IsWriteIn", deserialize_with = "lenient_text")]
    is_write_in: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cvr {
    #[serde(rename = "UniqueId", deserialize_with = "lenient_text")]
    unique_id: Option<String>,
    #[serde(rename = "CurrentSnapshotId", deserialize_with = "lenient_text")]
    current_snapshot_id: Option<String>,
    #[serde(rename = "CVRSnapshot")]
    snapshot: Vec<Snapshot>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Snapshot {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "CVRContest")]
    contest: Vec<CvrContest>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CvrContest {
    #[serde(rename = "ContestId")]
    contest_id: String,
    #[serde(rename = "CVRContestSelection")]
    selection: Vec<CvrContestSelection>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CvrContestSelection {
    #[serde(rename = "ContestSelectionId")]
    contest_selection_id: String,
    #[serde(rename = "Rank", deserialize_with = "lenient_i64")]
    rank: Option<i64>,
    #[serde(rename = "SelectionPosition")]
    position: Vec<SelectionPosition>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SelectionPosition {
    #[serde(rename = "HasIndication", deserialize_with = "lenient_text")]
    has_indication: Option<String>,
    #[serde(rename = "IsAllocable", deserialize_with = "lenient_text")]
    is_allocable: Option<String>,
    #[serde(rename = "Rank", deserialize_with = "lenient_i64")]
    rank: Option<i64>,
    #[serde(rename = "CVRWriteIn")]
    write_in: Option<serde_json::Value>,
}

/// Reads a CDF JSON source.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    let file = files.open(path)?;
    let report: Report = serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| RcvError::Cvr {
            path: path.clone(),
            row: Some(e.line() as u64),
            column: Some(e.column() as u64),
            why: format!("not CDF JSON: {e}"),
        })?;
    let wanted = source.contest_id.as_deref().unwrap_or("");
    let mut candidates: HashMap<&str, &str> = HashMap::new();
    let mut contest: Option<&Contest> = None;
    for e in &report.election {
        for c in &e.candidate {
            if candidates.insert(&c.id, &c.name).is_some() {
                return Err(RcvError::cvr(
                    path,
                    None,
                    format!("duplicate Candidate @id {:?}", c.id),
                ));
            }
        }
        if contest.is_none() {
            contest = e.contest.iter().find(|c| c.name == wanted);
        }
    }
    let contest = contest.ok_or_else(|| {
        RcvError::cvr(
            path,
            None,
            format!("no Contest named {wanted:?} (config contestId)"),
        )
    })?;
    // Selection id → mark, or the candidate's name when it is not in the config.
    let mut selections: HashMap<&str, Result<Mark, String>> = HashMap::new();
    for s in &contest.selection {
        let m = if s.is_write_in.as_deref() == Some("true") {
            match sink.table().uwi {
                Some(u) => Ok(Mark::Candidate(u)),
                None => Err(crate::config::UWI_LABEL.to_string()),
            }
        } else {
            let cid = s.candidate_ids.first().ok_or_else(|| {
                RcvError::cvr(
                    path,
                    None,
                    format!("ContestSelection {:?} has no CandidateIds", s.id),
                )
            })?;
            let name = candidates.get(cid.as_str()).ok_or_else(|| {
                RcvError::cvr(
                    path,
                    None,
                    format!(
                        "CandidateId {cid:?} of ContestSelection {:?} not found",
                        s.id
                    ),
                )
            })?;
            if source.overvote_label.as_deref() == Some(*name) {
                Ok(Mark::Overvote)
            } else {
                sink.table()
                    .resolve(name)
                    .map(Mark::Candidate)
                    .ok_or_else(|| name.to_string())
            }
        };
        if selections.insert(&s.id, m).is_some() {
            return Err(RcvError::cvr(
                path,
                None,
                format!("duplicate ContestSelection @id {:?}", s.id),
            ));
        }
    }
    for (i, cvr) in report.cvr.iter().enumerate() {
        let rec = i as u64 + 1;
        let snap = cvr
            .snapshot
            .iter()
            .find(|s| Some(s.id.as_str()) == cvr.current_snapshot_id.as_deref())
            .or_else(|| {
                if cvr.current_snapshot_id.is_none() {
                    cvr.snapshot.last()
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                RcvError::cvr(path, Some(rec), "CurrentSnapshotId names no CVRSnapshot")
            })?;
        let Some(cc) = snap.contest.iter().find(|c| c.contest_id == contest.id) else {
            // This ballot does not carry the contest.
            continue;
        };
        for sel in &cc.selection {
            let mark = selections
                .get(sel.contest_selection_id.as_str())
                .ok_or_else(|| {
                    RcvError::cvr(
                        path,
                        Some(rec),
                        format!("unknown ContestSelectionId {:?}", sel.contest_selection_id),
                    )
                })?;
            let mut put = |rank: i64, write_in: bool| match (write_in, mark) {
                (true, _) => match sink.table().uwi {
                    Some(u) => sink.rank(rank, Mark::Candidate(u)),
                    None => sink.rank_name(rank, crate::config::UWI_LABEL),
                },
                (false, Ok(m)) => sink.rank(rank, *m),
                (false, Err(name)) => sink.rank_name(rank, name),
            };
            if let Some(rank) = sel.rank {
                put(rank, false);
            } else {
                let mut write_in = false;
                for p in &sel.position {
                    if p.write_in.is_some() {
                        write_in = true;
                    }
                    if p.has_indication.as_deref() == Some("no")
                        || p.is_allocable.as_deref() == Some("no")
                    {
                        continue;
                    }
                    let rank = p.rank.ok_or_else(|| {
                        RcvError::cvr(path, Some(rec), "SelectionPosition without Rank")
                    })?;
                    put(rank, write_in);
                }
            }
        }
        let id = cvr.unique_id.clone();
        sink.end(path, || id.unwrap_or_else(|| format!("#{rec}")))?;
        if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
            progress(sink.records());
        }
    }
    Ok(())
}
