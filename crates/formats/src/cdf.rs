//! NIST SP 1500-100 v2 Election Results Reporting CDF: `ElectionReport` in JSON or XML.
//!
//! Both encodings are read into the JSON shape of NIST's `err_v2_xml2json.xsl` (XML attributes
//! `ObjectId` → `@id`, `xsi:type` → `@type`, a text element with attributes → `Content`), then
//! one reader maps it onto the model:
//! - **GpUnits → the unit tree.** The root is the election's `ElectionScopeId`; a unit's parent
//!   is the first unit reached from the root through `ComposingGpUnitIds` (breadth first).
//!   GpUnits composed of units already in the tree (congressional, state-house, polling-place,
//!   vote-center… districts) are *districts*, not units: a contest held in one gets the
//!   district's units as its area. Other unplaced GpUnits (split precincts, or every unit of a
//!   file without `ComposingGpUnitIds`) become children of the root.
//! - **Contests**: `CandidateContest` → candidate, `BallotMeasureContest`/`RetentionContest` →
//!   ballot measure, `PartyContest` → party list; `VotesAllowed`; the `ElectionDistrictId` as area.
//! - **ContestSelections**: names from the candidates' `BallotName`, the ballot measure
//!   `Selection`, or the parties' names; `IsWriteIn` without a candidate is "Write-in".
//! - **VoteCounts** per `GpUnitId` and `Type` (CountItemType): `election-day` → election_day;
//!   `early`, `absentee-in-person` → early; `absentee`, `absentee-mail`, `absentee-fwab`,
//!   `uocava` → mail; `provisional`; `total`; `other` by its `OtherType` through the mapping.
//!   `OtherCounts` give over- and undervotes. Counts are xsd:float in the schema; fractions are
//!   refused. Counts at a district (not a unit of the tree) are refused. A unit's counts that
//!   are exactly the sum of its subunits' (the county and state rows of an export) are a
//!   roll-up, not a report of the unit's own (see `sheet/rollup.rs`).
//! - **BallotCounts** (`BallotsCast`, per unit): the ballots of each contest of the unit, when
//!   the unit has exactly one (several, as a primary's per party, cannot be told apart).
//! - **ObjectIds are kept as ids** (trimmed: the Cambridge file has `ObjectId="prec-1-1 "`
//!   while its references have no space; xsd:ID collapses white space, and so do we).
//!
//! Not read: BallotStyles, Offices, People, Headers, schedules, contact information.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use skytale_model::{ContestKind, CountType};

use crate::error::{FormatError, Location};
use crate::norm::clean;
use crate::sheet::{Names, Other, Sheet};
use crate::xml::{attrs, local, to_utf8, Ev, Xml};
use crate::{Format, Mapping};

/// Deepest unit tree accepted.
pub const MAX_TREE_DEPTH: usize = 64;
/// Largest number of JSON/XML values in one report (bounds memory of the tree read).
pub const MAX_NODES: usize = 50_000_000;

pub(crate) fn read_json(
    bytes: &[u8],
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<Sheet, FormatError> {
    let v: Value =
        serde_json::from_slice(crate::without_bom(bytes)).map_err(|e| FormatError::Syntax {
            at: Location {
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                ..Location::default()
            },
            why: format!("malformed JSON: {e}"),
        })?;
    read_value(&v, Format::NistJson, mapping, trace)
}

pub(crate) fn read_xml(
    bytes: &[u8],
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<Sheet, FormatError> {
    let src = to_utf8(bytes)?;
    let v = xml_to_value(&src)?;
    read_value(&v, Format::NistXml, mapping, trace)
}

struct Frame {
    name: String,
    /// Attributes, `@line` and children; `None` for a text-only element without attributes
    /// (most elements of a report: `Count`, `Type`, `GpUnitId`…), which becomes a plain string
    /// without ever building a map.
    map: Option<Map<String, Value>>,
    text: String,
    line: u64,
}

impl Frame {
    /// The element's map, made on first use with `@line` in the place it always has (after
    /// the attributes, before the children).
    fn map(&mut self) -> &mut Map<String, Value> {
        let line = self.line;
        self.map.get_or_insert_with(|| {
            let mut m = Map::new();
            m.insert("@line".into(), Value::from(line));
            m
        })
    }
}

fn insert(map: &mut Map<String, Value>, key: String, v: Value) {
    match map.get_mut(&key) {
        Some(Value::Array(a)) => a.push(v),
        Some(old) => {
            let o = old.take();
            *old = Value::Array(vec![o, v]);
        }
        None => {
            map.insert(key, v);
        }
    }
}

fn open_frame(x: &Xml, e: &quick_xml::events::BytesStart) -> Result<Frame, FormatError> {
    let line = x.line();
    let mut map: Option<Map<String, Value>> = None;
    for (k, v) in attrs(e, &|| Location::line(line))? {
        let key = match k {
            b"ObjectId" => "@id".to_string(),
            b"type" => "@type".to_string(),
            k if k.starts_with(b"xmlns") || k == b"schemaLocation" => continue,
            k => String::from_utf8_lossy(k).into_owned(),
        };
        let v = if key == "@type" {
            v.rsplit(':').next().unwrap_or(&v).to_string()
        } else {
            v.into_owned()
        };
        map.get_or_insert_with(Map::new)
            .insert(key, Value::String(v));
    }
    // Each element with attributes or children gets its line, to point errors at it.
    if let Some(m) = map.as_mut() {
        m.insert("@line".into(), Value::from(line));
    }
    Ok(Frame {
        name: String::from_utf8_lossy(local(e)).into_owned(),
        map,
        text: String::new(),
        line,
    })
}

/// The element's name and its value.
fn close_frame(f: Frame) -> (String, Value) {
    let Frame {
        name, map, text, ..
    } = f;
    let v = match map {
        None => Value::String(text),
        Some(mut map) => {
            if !text.is_empty() {
                map.insert("Content".into(), Value::String(text));
            }
            Value::Object(map)
        }
    };
    (name, v)
}

/// Reads XML into the JSON shape (see module docs), streaming, with the reader's guards.
fn xml_to_value(src: &[u8]) -> Result<Value, FormatError> {
    let mut x = Xml::new(src);
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    loop {
        match x.next()? {
            Ev::Start(e) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(FormatError::TooLarge {
                        at: x.loc(),
                        what: "the number of XML elements",
                        limit: MAX_NODES as u64,
                    });
                }
                stack.push(open_frame(&x, &e)?);
            }
            Ev::Empty(e) => {
                nodes += 1;
                let (name, v) = close_frame(open_frame(&x, &e)?);
                match stack.last_mut() {
                    Some(p) => insert(p.map(), name, v),
                    None => return finish(name, v, &x),
                }
            }
            Ev::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    if top.text.len() + t.len() > crate::xml::MAX_TEXT {
                        return Err(FormatError::TooLarge {
                            at: x.loc(),
                            what: "the length of an XML text",
                            limit: crate::xml::MAX_TEXT as u64,
                        });
                    }
                    top.text.push_str(&t);
                }
            }
            Ev::End => {
                let Some(f) = stack.pop() else {
                    return Err(FormatError::syntax(x.loc(), "unbalanced end tag"));
                };
                let (name, v) = close_frame(f);
                match stack.last_mut() {
                    Some(p) => insert(p.map(), name, v),
                    None => return finish(name, v, &x),
                }
            }
            Ev::Eof => return Err(FormatError::syntax(x.loc(), "empty document")),
        }
    }
}

fn finish(name: String, v: Value, x: &Xml) -> Result<Value, FormatError> {
    if name != "ElectionReport" {
        return Err(FormatError::syntax(x.loc(), format!("not a NIST SP 1500-100 report: root element is <{name}>, expected <ElectionReport>")));
    }
    Ok(v)
}

/// The items under `key`: an array's elements, or the single value.
fn items<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    match v.get(key) {
        Some(Value::Array(a)) => a,
        Some(x) => std::slice::from_ref(x),
        None => &[],
    }
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    match v.get(key)? {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("Content").and_then(Value::as_str),
        _ => None,
    }
}

/// IDREFS: a JSON array of ids, or XML's space-separated list (possibly repeated).
fn ids(v: &Value, key: &str) -> Vec<String> {
    items(v, key)
        .iter()
        .flat_map(|x| match x {
            Value::String(s) => s.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
            Value::Object(o) => o
                .get("Content")
                .and_then(Value::as_str)
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        })
        .collect()
}

fn id(v: &Value) -> Option<String> {
    v.get("@id")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn kind(v: &Value) -> &str {
    let t = v.get("@type").and_then(Value::as_str).unwrap_or("");
    t.rsplit('.').next().unwrap_or(t)
}

fn line_of(v: &Value) -> u64 {
    v.get("@line").and_then(Value::as_u64).unwrap_or(0)
}

fn at(v: &Value, field: &str) -> Location {
    let l = line_of(v);
    Location {
        line: (l > 0).then_some(l),
        field: Some(field.to_string()),
        ..Location::default()
    }
}

/// An InternationalizedText (or plain string) as names per language.
fn intl(v: Option<&Value>, langs: &mut Vec<String>) -> Option<Names> {
    let v = v?;
    if let Value::String(s) = v {
        return Some(Names::plain(&clean(s)));
    }
    let mut n = Names::default();
    for t in items(v, "Text") {
        let content = match t {
            Value::String(s) => s.as_str(),
            _ => t.get("Content").and_then(Value::as_str).unwrap_or(""),
        };
        let lang = t
            .get("Language")
            .and_then(Value::as_str)
            .unwrap_or("en")
            .trim()
            .to_string();
        if !langs.contains(&lang) {
            langs.push(lang.clone());
        }
        if n.display.is_empty() {
            n.display = clean(content);
        }
        n.i18n.entry(lang).or_insert_with(|| clean(content));
    }
    (!n.display.is_empty()).then_some(n)
}

fn count_type(
    t: &str,
    other_type: Option<&str>,
    mapping: Option<&Mapping>,
    loc: Location,
) -> Result<Option<CountType>, FormatError> {
    if let Some(m) = mapping {
        if let Some(ct) = m.count_type(other_type.unwrap_or(t)) {
            return Ok(Some(ct));
        }
    }
    Ok(Some(match t.trim() {
        "total" => CountType::Total,
        "election-day" => CountType::ElectionDay,
        "early" | "absentee-in-person" => CountType::Early,
        "absentee" | "absentee-mail" | "absentee-fwab" | "uocava" => CountType::Mail,
        "provisional" => CountType::Provisional,
        // Seats won are not votes.
        "seats" => return Ok(None),
        unknown => {
            let name = match (unknown, other_type) {
                ("other", Some(o)) => format!("other ({o})"),
                _ => unknown.to_string(),
            };
            return Err(FormatError::Unmapped {
                at: loc,
                kind: "CountItemType",
                name,
                closest: vec![
                    "total".into(),
                    "election-day".into(),
                    "early".into(),
                    "absentee-mail".into(),
                    "provisional".into(),
                ],
            });
        }
    }))
}

fn count_value(v: &Value, loc: impl Fn() -> Location) -> Result<u64, FormatError> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u > skytale_model::MAX_COUNT {
                    return Err(FormatError::TooLarge {
                        at: loc(),
                        what: "a vote count",
                        limit: skytale_model::MAX_COUNT,
                    });
                }
                return Ok(u);
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= skytale_model::MAX_COUNT as f64 => {
                    Ok(f as u64)
                }
                _ => Err(FormatError::syntax(
                    loc(),
                    format!("{n} is not a whole non-negative number of votes"),
                )),
            }
        }
        Value::String(s) => crate::norm::parse_count(s, &loc)?
            .ok_or_else(|| FormatError::syntax(loc(), "empty count")),
        Value::Object(o) => match o.get("Content") {
            Some(c) => count_value(c, loc),
            None => Err(FormatError::syntax(loc(), "a count has no value")),
        },
        _ => Err(FormatError::syntax(loc(), "a count is not a number")),
    }
}

fn read_value(
    report: &Value,
    format: Format,
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<Sheet, FormatError> {
    if !report.is_object() {
        return Err(FormatError::syntax(
            Location::default(),
            "the report is not an object",
        ));
    }
    let rt = kind(report);
    if !(rt.is_empty() || rt == "ElectionReport") {
        return Err(FormatError::syntax(
            at(report, "@type"),
            format!("not an ElectionReport but {rt:?}"),
        ));
    }
    let elections = items(report, "Election");
    let election = match elections {
        [e] => e,
        [] => {
            return Err(FormatError::invalid(
                at(report, "Election"),
                "the report has no Election",
            ))
        }
        _ => {
            return Err(FormatError::invalid(
                at(&elections[1], "Election"),
                "the report has several Elections; import them one at a time",
            ))
        }
    };
    let mut sheet = Sheet::new(format).traced(trace);
    sheet.keys_are_ids = true;
    let mut langs: Vec<String> = Vec::new();
    if let Some(n) = intl(election.get("Name"), &mut langs) {
        sheet.title = Some(n.display);
    }
    sheet.date = text(election, "StartDate").and_then(crate::norm::iso_date);

    // --- GpUnits → tree + districts.
    let gpunits = items(report, "GpUnit");
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (i, g) in gpunits.iter().enumerate() {
        let gid = id(g)
            .ok_or_else(|| FormatError::invalid(at(g, "GpUnit.@id"), "a GpUnit has no ObjectId"))?;
        if by_id.insert(gid.clone(), i).is_some() {
            return Err(FormatError::invalid(
                at(g, "GpUnit.@id"),
                format!("two GpUnits have ObjectId {gid:?} (after trimming white space)"),
            ));
        }
    }
    let scope = text(election, "ElectionScopeId")
        .map(str::trim)
        .unwrap_or("");
    let root_gp = *by_id.get(scope).ok_or_else(|| {
        FormatError::invalid(
            at(election, "ElectionScopeId"),
            format!("ElectionScopeId {scope:?} names no GpUnit"),
        )
    })?;
    let composing: Vec<Vec<usize>> = gpunits
        .iter()
        .map(|g| {
            ids(g, "ComposingGpUnitIds")
                .iter()
                .map(|c| {
                    by_id.get(c.trim()).copied().ok_or_else(|| {
                        FormatError::invalid(
                            at(g, "ComposingGpUnitIds"),
                            format!("GpUnit {c:?} does not exist"),
                        )
                    })
                })
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let mut unit_of: Vec<Option<usize>> = vec![None; gpunits.len()];
    let mut depth: Vec<usize> = vec![0; gpunits.len()];
    let mut gp_names: Vec<Names> = Vec::with_capacity(gpunits.len());
    for g in gpunits {
        let n = intl(g.get("Name"), &mut langs)
            .unwrap_or_else(|| Names::plain(&id(g).unwrap_or_default()));
        gp_names.push(n);
    }
    let place = |sheet: &mut Sheet,
                 unit_of: &mut Vec<Option<usize>>,
                 depth: &mut Vec<usize>,
                 start: usize,
                 parent: Option<usize>|
     -> Result<(), FormatError> {
        let mut queue = std::collections::VecDeque::new();
        let g = &gpunits[start];
        let d0 = parent.map(|p| depth[p] + 1).unwrap_or(0);
        let u = sheet.unit_keyed(
            &id(g).unwrap_or_default(),
            gp_names[start].clone(),
            parent.and_then(|p| unit_of[p]),
            text(g, "Type"),
            line_of(g),
        )?;
        unit_of[start] = Some(u);
        depth[start] = d0;
        queue.push_back(start);
        while let Some(p) = queue.pop_front() {
            for &c in &composing[p] {
                if unit_of[c].is_some() {
                    continue;
                }
                if depth[p] + 1 > MAX_TREE_DEPTH {
                    return Err(FormatError::TooLarge {
                        at: at(&gpunits[c], "ComposingGpUnitIds"),
                        what: "the depth of the GpUnit tree",
                        limit: MAX_TREE_DEPTH as u64,
                    });
                }
                let gc = &gpunits[c];
                let u = sheet.unit_keyed(
                    &id(gc).unwrap_or_default(),
                    gp_names[c].clone(),
                    unit_of[p],
                    text(gc, "Type"),
                    line_of(gc),
                )?;
                unit_of[c] = Some(u);
                depth[c] = depth[p] + 1;
                queue.push_back(c);
            }
        }
        Ok(())
    };
    place(&mut sheet, &mut unit_of, &mut depth, root_gp, None)?;
    // Leaves nobody composes: children of the root.
    for g in 0..gpunits.len() {
        if unit_of[g].is_none() && composing[g].is_empty() {
            place(&mut sheet, &mut unit_of, &mut depth, g, Some(root_gp))?;
        }
    }
    // Districts: composed only of placed units or other districts; the rest hang under the root.
    let mut district: Vec<bool> = vec![false; gpunits.len()];
    loop {
        let mut changed = true;
        while changed {
            changed = false;
            for g in 0..gpunits.len() {
                if unit_of[g].is_none()
                    && !district[g]
                    && composing[g]
                        .iter()
                        .all(|&c| unit_of[c].is_some() || district[c])
                {
                    district[g] = true;
                    changed = true;
                }
            }
        }
        match (0..gpunits.len()).find(|&g| unit_of[g].is_none() && !district[g]) {
            Some(g) => place(&mut sheet, &mut unit_of, &mut depth, g, Some(root_gp))?,
            None => break,
        }
    }
    let expand = |g: usize| -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![g];
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            match unit_of[x] {
                Some(u) => out.push(u),
                None => stack.extend(composing[x].iter().rev()),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    };
    for (g, gp) in gpunits.iter().enumerate() {
        if let (Some(u), Some(r)) = (unit_of[g], gp.get("VotersRegistered")) {
            sheet.units[u].registered = Some(count_value(r, || at(gp, "VotersRegistered"))?);
        }
    }

    // --- Parties and candidates.
    for p in items(report, "Party") {
        let pid = id(p)
            .ok_or_else(|| FormatError::invalid(at(p, "Party.@id"), "a Party has no ObjectId"))?;
        let name = intl(p.get("Name"), &mut langs).unwrap_or_else(|| Names::plain(&pid));
        let abbr = intl(p.get("Abbreviation"), &mut langs).map(|n| n.display);
        sheet.party_keyed(&pid, name, abbr);
    }
    let mut candidates: HashMap<String, (Names, Option<String>)> = HashMap::new();
    for c in items(election, "Candidate") {
        let cid = id(c).ok_or_else(|| {
            FormatError::invalid(at(c, "Candidate.@id"), "a Candidate has no ObjectId")
        })?;
        let name = intl(c.get("BallotName"), &mut langs).unwrap_or_else(|| Names::plain(&cid));
        let party = text(c, "PartyId").map(|s| s.trim().to_string());
        candidates.insert(cid, (name, party));
    }

    // --- Contests, selections, counts.
    for c in items(election, "Contest") {
        let cid = id(c).ok_or_else(|| {
            FormatError::invalid(at(c, "Contest.@id"), "a Contest has no ObjectId")
        })?;
        let ck = match kind(c) {
            "BallotMeasureContest" | "RetentionContest" => ContestKind::BallotMeasure,
            "PartyContest" => ContestKind::PartyList,
            _ => ContestKind::Candidate,
        };
        let name = intl(c.get("Name"), &mut langs).unwrap_or_else(|| Names::plain(&cid));
        let votes_allowed = match c.get("VotesAllowed") {
            Some(v) => u32::try_from(count_value(v, || at(c, "VotesAllowed"))?).unwrap_or(u32::MAX),
            None => 1,
        };
        let ci = sheet.contest_keyed(&cid, name, ck, votes_allowed, line_of(c))?;
        if let Some(d) = text(c, "ElectionDistrictId").map(str::trim) {
            let g = *by_id.get(d).ok_or_else(|| {
                FormatError::invalid(
                    at(c, "ElectionDistrictId"),
                    format!("GpUnit {d:?} does not exist"),
                )
            })?;
            let area = expand(g);
            if !area.is_empty() {
                sheet.contests[ci].area = Some(area);
            }
        }
        for s in items(c, "ContestSelection") {
            let sid = id(s).ok_or_else(|| {
                FormatError::invalid(
                    at(s, "ContestSelection.@id"),
                    "a ContestSelection has no ObjectId",
                )
            })?;
            let cand_ids = ids(s, "CandidateIds");
            let party_ids = ids(s, "PartyIds");
            let mut party = party_ids.first().cloned();
            let name = if !cand_ids.is_empty() {
                let mut n = Names::default();
                for cid in &cand_ids {
                    let (cn, cp) = candidates.get(cid.trim()).cloned().ok_or_else(|| {
                        FormatError::invalid(
                            at(s, "CandidateIds"),
                            format!("Candidate {cid:?} does not exist"),
                        )
                    })?;
                    if party.is_none() {
                        party = cp;
                    }
                    n.display = if n.display.is_empty() {
                        cn.display
                    } else {
                        format!("{} & {}", n.display, cn.display)
                    };
                    for (l, t) in cn.i18n {
                        n.i18n
                            .entry(l)
                            .and_modify(|x| *x = format!("{x} & {t}"))
                            .or_insert(t);
                    }
                }
                n
            } else if let Some(n) = intl(s.get("Selection"), &mut langs) {
                n
            } else if !party_ids.is_empty() {
                let names: Vec<String> = party_ids
                    .iter()
                    .map(|p| {
                        sheet
                            .party_by_key(p.trim())
                            .map(|i| sheet.parties[i].name.display.clone())
                            .unwrap_or_else(|| p.clone())
                    })
                    .collect();
                Names::plain(&names.join(" & "))
            } else if s
                .get("IsWriteIn")
                .is_some_and(|w| w == &Value::Bool(true) || w.as_str() == Some("true"))
            {
                Names::plain("Write-in")
            } else {
                Names::plain(&sid)
            };
            let party = party.and_then(|p| sheet.party_by_key(p.trim()));
            let si = sheet.selection_keyed(ci, &sid, name, party, line_of(s))?;
            for vc in items(s, "VoteCounts") {
                let gid = text(vc, "GpUnitId").map(str::trim).unwrap_or("");
                let g = *by_id.get(gid).ok_or_else(|| {
                    FormatError::invalid(
                        at(vc, "VoteCounts.GpUnitId"),
                        format!("GpUnit {gid:?} does not exist"),
                    )
                })?;
                // Counts that are not votes (e.g. the `seats` our export gives a party-list
                // district) are skipped before asking whether their unit reports.
                let t = text(vc, "Type").unwrap_or("total");
                let Some(ct) =
                    count_type(t, text(vc, "OtherType"), mapping, at(vc, "VoteCounts.Type"))?
                else {
                    continue;
                };
                let u = unit_of[g].ok_or_else(|| {
                    FormatError::invalid(at(vc, "VoteCounts.GpUnitId"), format!("counts are given for {gid:?}, a district composed of other units, not a reporting unit"))
                })?;
                let v = vc.get("Count").ok_or_else(|| {
                    FormatError::invalid(at(vc, "VoteCounts.Count"), "VoteCounts without a Count")
                })?;
                let n = count_value(v, || at(vc, "VoteCounts.Count"))?;
                sheet.add(u, ci, si, ct, n, line_of(vc), false)?;
            }
        }
        for oc in items(c, "OtherCounts") {
            let gid = text(oc, "GpUnitId").map(str::trim).unwrap_or("");
            let Some(u) = by_id.get(gid).and_then(|&g| unit_of[g]) else {
                return Err(FormatError::invalid(
                    at(oc, "OtherCounts.GpUnitId"),
                    format!("GpUnit {gid:?} is not a reporting unit"),
                ));
            };
            for (field, o) in [
                ("Overvotes", Other::Overvotes),
                ("Undervotes", Other::Undervotes),
            ] {
                if let Some(v) = oc.get(field) {
                    let n = count_value(v, || at(oc, field))?;
                    sheet.add_other(u, ci, o, n, line_of(oc), false)?;
                }
            }
        }
    }
    ballot_counts(election, &by_id, &unit_of, &mut sheet)?;
    langs.retain(|l| crate::norm::valid_language(l));
    // The default language: the election name's, else the first seen.
    sheet.languages = langs;
    Ok(sheet)
}

/// `Election.BallotCounts`: ballots cast per unit, the one place the format has for them. A
/// unit's figure becomes the ballots of each of its contests in the file that gives none of
/// its own, when the unit has exactly one such count (type `total`, no device class): a file
/// with several for one unit (a primary's ballots per party) does not say which contest each
/// belongs to, and those are left out rather than guessed.
fn ballot_counts(
    election: &Value,
    by_id: &HashMap<String, usize>,
    unit_of: &[Option<usize>],
    sheet: &mut Sheet,
) -> Result<(), FormatError> {
    let mut per_unit: HashMap<usize, Vec<(u64, u64)>> = HashMap::new();
    for bc in items(election, "BallotCounts") {
        if text(bc, "Type").is_some_and(|t| t != "total") || bc.get("DeviceClass").is_some() {
            continue;
        }
        let Some(v) = bc.get("BallotsCast") else {
            continue;
        };
        let gid = text(bc, "GpUnitId").map(str::trim).unwrap_or("");
        let Some(u) = by_id.get(gid).and_then(|&g| unit_of[g]) else {
            return Err(FormatError::invalid(
                at(bc, "BallotCounts.GpUnitId"),
                format!("GpUnit {gid:?} is not a reporting unit"),
            ));
        };
        let n = count_value(v, || at(bc, "BallotCounts.BallotsCast"))?;
        per_unit.entry(u).or_default().push((n, line_of(bc)));
    }
    let contests_of: Vec<(usize, usize)> = sheet
        .cells
        .iter()
        .map(|(k, _)| *k)
        .filter(|(u, _)| per_unit.get(u).is_some_and(|v| v.len() == 1))
        .collect();
    for (u, c) in contests_of {
        let (n, line) = per_unit[&u][0];
        if sheet.cells.gives(u, c, Other::Ballots) {
            continue;
        }
        sheet.add_other(u, c, Other::Ballots, n, line, false)?;
    }
    Ok(())
}
