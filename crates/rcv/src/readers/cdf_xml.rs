//! NIST SP 1500-103 Common Data Format cast vote records, XML encoding (RCTab provider `cdf`
//! with a `.xml` file), read in two streaming passes: the `Election` header (candidates,
//! contests), then one `CVR` element at a time.
//!
//! The contest is the one whose `Name` is the config's `contestId`; a CVR without that contest
//! in its current snapshot is skipped (as RCTab does). Selections with `Status`
//! "needs-adjudication" are ignored; positions with `HasIndication` or `IsAllocable` "no" are
//! skipped; write-ins (`IsWriteIn` true, or a position with `CVRWriteIn`) count as undeclared
//! write-ins.

use std::collections::HashMap;

use quick_xml::events::Event;

use super::xml::{read_subtree, Node};
use crate::ballots::{CvrSink, Mark};
use crate::config::{CvrSource, UWI_LABEL};
use crate::RcvError;

fn open(
    files: &dyn super::files::Files,
    path: &std::path::Path,
) -> Result<quick_xml::Reader<std::io::BufReader<Box<dyn super::files::Input>>>, RcvError> {
    let f = files.open(path)?;
    Ok(quick_xml::Reader::from_reader(
        std::io::BufReader::with_capacity(1 << 20, f),
    ))
}

/// Calls `f` for each depth-1 element named `want` (depth 0 is the report root).
fn for_each_top<F: FnMut(Node) -> Result<(), RcvError>>(
    files: &dyn super::files::Files,
    path: &std::path::Path,
    want: &str,
    mut f: F,
) -> Result<(), RcvError> {
    let mut rd = open(files, path)?;
    let mut buf = Vec::new();
    let mut sub = Vec::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let ev = rd.read_event_into(&mut buf).map_err(|e| {
            RcvError::cvr(
                path,
                None,
                format!("XML error at byte {}: {e}", rd.buffer_position()),
            )
        })?;
        match ev {
            Event::Start(e) => {
                if depth == 1 && e.local_name().as_ref() == want.as_bytes() {
                    let e = e.into_owned();
                    let node = read_subtree(&mut rd, &e, false, &mut sub)
                        .map_err(|w| RcvError::cvr(path, None, w))?;
                    f(node)?;
                } else {
                    depth += 1;
                }
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == want.as_bytes() => {
                let e = e.into_owned();
                f(read_subtree(&mut rd, &e, true, &mut sub)
                    .map_err(|w| RcvError::cvr(path, None, w))?)?;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Reads a CDF XML source.
pub fn read(
    files: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let path = &source.path;
    files.open(path)?; // exists and within the size limit
    let wanted = source.contest_id.clone().unwrap_or_default();
    let mut candidates: HashMap<String, String> = HashMap::new();
    let mut contest: Option<Node> = None;
    for_each_top(files, path, "Election", |election| {
        for c in election.children("Candidate") {
            let id = c.attr("ObjectId").unwrap_or("").to_string();
            let name = c.child_text("Name").unwrap_or("").to_string();
            if candidates.insert(id.clone(), name).is_some() {
                return Err(RcvError::cvr(
                    path,
                    None,
                    format!("duplicate Candidate ObjectId {id:?}"),
                ));
            }
        }
        if contest.is_none() {
            contest = election
                .children("Contest")
                .find(|c| c.child_text("Name") == Some(wanted.as_str()))
                .cloned();
        }
        Ok(())
    })?;
    let contest = contest.ok_or_else(|| {
        RcvError::cvr(
            path,
            None,
            format!("no Contest named {wanted:?} (config contestId)"),
        )
    })?;
    let contest_id = contest.attr("ObjectId").unwrap_or("").to_string();
    let mut selections: HashMap<String, Result<Mark, String>> = HashMap::new();
    for s in contest.children("ContestSelection") {
        let sid = s.attr("ObjectId").unwrap_or("").to_string();
        let mark = if s.child_text("IsWriteIn") == Some("true") {
            sink.table()
                .uwi
                .map(Mark::Candidate)
                .ok_or_else(|| UWI_LABEL.to_string())
        } else {
            let cid = s
                .child_text("CandidateIds")
                .and_then(|t| t.split_whitespace().next())
                .ok_or_else(|| {
                    RcvError::cvr(
                        path,
                        None,
                        format!("ContestSelection {sid:?} has no CandidateIds"),
                    )
                })?;
            let name = candidates.get(cid).ok_or_else(|| {
                RcvError::cvr(
                    path,
                    None,
                    format!("CandidateId {cid:?} of ContestSelection {sid:?} not found"),
                )
            })?;
            if source.overvote_label.as_deref() == Some(name.as_str()) {
                Ok(Mark::Overvote)
            } else {
                sink.table()
                    .resolve(name)
                    .map(Mark::Candidate)
                    .ok_or_else(|| name.clone())
            }
        };
        if selections.insert(sid.clone(), mark).is_some() {
            return Err(RcvError::cvr(
                path,
                None,
                format!("duplicate ContestSelection ObjectId {sid:?}"),
            ));
        }
    }
    let mut index = 0u64;
    for_each_top(files, path, "CVR", |cvr| {
        index += 1;
        let rec = index;
        let current = cvr.child_text("CurrentSnapshotId").unwrap_or("");
        let Some(snap) = cvr
            .children("CVRSnapshot")
            .find(|s| s.attr("ObjectId") == Some(current))
        else {
            return Ok(());
        };
        let Some(cc) = snap
            .children("CVRContest")
            .find(|c| c.child_text("ContestId") == Some(contest_id.as_str()))
        else {
            return Ok(());
        };
        for sel in cc.children("CVRContestSelection") {
            if sel.child_text("Status") == Some("needs-adjudication") {
                continue;
            }
            let sid = sel.child_text("ContestSelectionId").unwrap_or("");
            let mark = selections
                .get(sid)
                .ok_or_else(|| {
                    RcvError::cvr(
                        path,
                        Some(rec),
                        format!("unknown ContestSelectionId {sid:?}"),
                    )
                })?
                .clone();
            let mut put = |rank: i64, write_in: bool| match (write_in, &mark) {
                (true, _) => match sink.table().uwi {
                    Some(u) => sink.rank(rank, Mark::Candidate(u)),
                    None => sink.rank_name(rank, UWI_LABEL),
                },
                (false, Ok(m)) => sink.rank(rank, *m),
                (false, Err(name)) => sink.rank_name(rank, name),
            };
            let parse_rank = |t: &str| {
                t.trim().parse::<i64>().map_err(|_| {
                    RcvError::cvr(path, Some(rec), format!("Rank {t:?} is not an integer"))
                })
            };
            if let Some(r) = sel.child_text("Rank") {
                put(parse_rank(r)?, false);
            } else {
                let mut write_in = false;
                for p in sel.children("SelectionPosition") {
                    if p.child("CVRWriteIn").is_some() {
                        write_in = true;
                    }
                    if p.child_text("HasIndication") == Some("no")
                        || p.child_text("IsAllocable") == Some("no")
                    {
                        continue;
                    }
                    let r = p.child_text("Rank").ok_or_else(|| {
                        RcvError::cvr(path, Some(rec), "SelectionPosition without Rank")
                    })?;
                    put(parse_rank(r)?, write_in);
                }
            }
        }
        let id = cvr.child_text("UniqueId").map(str::to_string);
        sink.end(path, || id.unwrap_or_else(|| format!("#{rec}")))?;
        if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
            progress(sink.records());
        }
        Ok(())
    })
}
