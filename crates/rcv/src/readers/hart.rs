//! Hart InterCivic cast vote records (RCTab provider `hart`): a folder with one XML file per
//! ballot (`*.xml`, signature files `*.sig.xml` excluded).
//!
//! In each file's `Contests`, the `Contest` whose `Id` is the config's `contestId` gives one
//! CVR; each `Option` names a candidate by `Id` (configs map ids to names through aliases) and
//! its `Value` is a string of digits, one per rank, where "1" marks that rank.

use quick_xml::events::Event;

use super::xml::read_subtree;
use crate::ballots::{CvrSink, Mark};
use crate::config::CvrSource;
use crate::RcvError;

/// Largest single Hart XML file (bytes).
pub const MAX_HART_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a Hart folder.
pub fn read(
    fs: &dyn super::files::Files,
    source: &CvrSource,
    sink: &mut CvrSink<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), RcvError> {
    let dir = &source.path;
    let wanted = source.contest_id.clone().unwrap_or_default();
    let mut files = Vec::new();
    for path in fs.list(dir)? {
        let lower = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if lower.ends_with("xml") && !lower.ends_with(".sig.xml") {
            files.push(path);
            if files.len() > super::MAX_FILES_IN_FOLDER {
                return Err(RcvError::Limit {
                    path: dir.clone(),
                    why: format!("more than {} files", super::MAX_FILES_IN_FOLDER),
                });
            }
        }
    }
    files.sort();
    for path in files {
        let len = fs.len(&path)?;
        if len > MAX_HART_FILE_BYTES {
            return Err(RcvError::Limit {
                path: path.clone(),
                why: format!("{len} bytes, limit {MAX_HART_FILE_BYTES}"),
            });
        }
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut fs.open(&path)?, &mut bytes)
            .map_err(|e| RcvError::io(&path, e))?;
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(&bytes);
        let mut rd = quick_xml::Reader::from_reader(body);
        let mut buf = Vec::new();
        let mut sub = Vec::new();
        let root = loop {
            buf.clear();
            match rd.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => {
                    let e = e.into_owned();
                    break read_subtree(&mut rd, &e, false, &mut sub)
                        .map_err(|w| RcvError::cvr(&path, None, w))?;
                }
                Ok(Event::Eof) => return Err(RcvError::cvr(&path, None, "no root element")),
                Err(e) => return Err(RcvError::cvr(&path, None, format!("XML error: {e}"))),
                _ => {}
            }
        };
        let Some(contests) = root.child("Contests") else {
            continue;
        };
        for contest in contests
            .children("Contest")
            .filter(|c| c.child_text("Id") == Some(wanted.as_str()))
        {
            if let Some(options) = contest.child("Options") {
                for opt in options.children("Option") {
                    let code = opt.child_text("Id").unwrap_or("");
                    let value = opt.child_text("Value").unwrap_or("");
                    for (i, ch) in value.chars().enumerate() {
                        if ch != '1' {
                            continue;
                        }
                        let rank = i as i64 + 1;
                        if source.uwi_label.as_deref() == Some(code) {
                            match sink.table().uwi {
                                Some(u) => sink.rank(rank, Mark::Candidate(u)),
                                None => sink.rank_name(rank, crate::config::UWI_LABEL),
                            }
                        } else {
                            sink.rank_name(rank, code);
                        }
                    }
                }
            }
            let guid = root.child_text("CvrGuid").unwrap_or("").to_string();
            let p = path.clone();
            sink.end(&p, || {
                if guid.is_empty() {
                    p.display().to_string()
                } else {
                    guid
                }
            })?;
            if sink.records().is_multiple_of(super::PROGRESS_EVERY) {
                progress(sink.records());
            }
        }
    }
    Ok(())
}
