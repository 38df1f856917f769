//! Clarity ENR `detail.xml` (Scytl), the XML inside `detailxml.zip`.
//!
//! Shape: `<ElectionResult>` with `Timestamp`, `ElectionName`, `ElectionDate`, `Region`; a
//! turnout block (`VoterTurnout/Precincts/Precinct` in county files,
//! `ElectionVoterTurnout/Counties/County` in state files); then `Contest` → `Choice` →
//! `VoteType name votes` → `Precinct|County name votes`. Contest-level `VoteType`s
//! (`Undervotes`, `Overvotes`) carry per-subunit figures too.
//!
//! Deliberate handling of what real files do:
//! - the root unit is the `Region`; subunits are the turnout block's precincts / counties
//!   (registered voters from `totalVoters`) plus any named only inside contests;
//! - vote-type names map to count types by the built-in table (`Election Day Votes`,
//!   `Advanced Voting Votes`, `Absentee by Mail Votes`, `Provisional Votes`, `Early Vote`,
//!   `Absentee`, and `Election` = the whole count) or the mapping's `[count_types]`; an unknown
//!   name is an error. Two vote types mapping to the same count type are added;
//! - the subunit figures are what is imported. A `VoteType` whose `votes` differs from the sum
//!   of its subunits is refused (the file contradicts itself where we read it), while a
//!   `Choice` `totalVotes` that differs from the sum of its vote types is tolerated (real
//!   state files do this, e.g. Arkansas 2014) and not imported;
//! - a `VoteType` without subunits gives the root unit's figure;
//! - the turnout block's `ballotsCast` of a subunit is the `ballots` of each contest reported
//!   there that the subunit lies wholly inside: every contest of a precinct (precincts are not
//!   split in these files); for a county, a contest whose `ParticipatingCounties` entry names as
//!   many precincts as the county has (`precinctsParticipating` of the turnout block), or,
//!   without those counts, a contest every county reports. A county only partly inside a
//!   district gets no ballots for it: the file does not state the district's share;
//! - the party of a choice is its `party` attribute; where that is empty or a no-party code
//!   (`NP`, as Georgia writes on every choice) and the choice's text ends in a party tag the
//!   party table knows (`Joseph R. Biden (Dem)`), the tag names the party (see `party`).

use skytale_model::{ContestKind, CountType};

use crate::error::{FormatError, Location};
use crate::mapping::{builtin_count_type, BUILTIN_COUNT_TYPE_NAMES};
use crate::norm::{clean, iso_date, norm_key, parse_count};
use crate::party;
use crate::sheet::{Names, Other, Sheet};
use crate::xml::{attrs, get, local, pick, to_utf8, Ev, Xml};
use crate::{Format, Mapping};

enum VtKind {
    Votes(CountType),
    Other(Other),
}

fn vote_type(
    name: &str,
    contest_level: bool,
    mapping: Option<&Mapping>,
    at: Location,
) -> Result<VtKind, FormatError> {
    if let Some(t) = mapping.and_then(|m| m.count_type(name)) {
        return Ok(VtKind::Votes(t));
    }
    match norm_key(name).as_str() {
        "undervotes" | "under votes" => return Ok(VtKind::Other(Other::Undervotes)),
        "overvotes" | "over votes" => return Ok(VtKind::Other(Other::Overvotes)),
        _ => {}
    }
    if !contest_level {
        if let Some(t) = builtin_count_type(name) {
            return Ok(VtKind::Votes(t));
        }
    }
    Err(FormatError::Unmapped {
        at: at.field("VoteType@name"),
        kind: "vote type",
        name: name.to_string(),
        closest: crate::norm::closest(name, BUILTIN_COUNT_TYPE_NAMES.iter().copied()),
    })
}

pub(crate) fn read(
    bytes: &[u8],
    mapping: Option<&Mapping>,
    trace: bool,
) -> Result<Sheet, FormatError> {
    let src = to_utf8(bytes)?;
    let mut x = Xml::new(&src);
    let mut sheet = Sheet::new(Format::ClarityXml).traced(trace);
    // Find the root element.
    loop {
        match x.next()? {
            Ev::Start(e) if local(&e) == b"ElectionResult" => break,
            Ev::Start(e) | Ev::Empty(e) => {
                return Err(FormatError::syntax(
                    x.loc(),
                    format!(
                        "not a Clarity detail.xml: root element is <{}>, expected <ElectionResult>",
                        String::from_utf8_lossy(local(&e))
                    ),
                ))
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "empty document: no <ElectionResult>",
                ))
            }
            _ => {}
        }
    }
    let mut region: Option<String> = None;
    let mut precincts = Precincts::default();
    let mut root: Option<usize> = None;
    let mut sub_level = "precinct";
    let ensure_root = |sheet: &mut Sheet,
                       region: &Option<String>,
                       root: &mut Option<usize>,
                       level: &str,
                       line: u64|
     -> Result<usize, FormatError> {
        if let Some(r) = *root {
            return Ok(r);
        }
        let name = region.clone().unwrap_or_else(|| "Region".to_string());
        let r = sheet.unit(None, &name, Some(level), line)?;
        *root = Some(r);
        Ok(r)
    };
    loop {
        match x.next()? {
            Ev::Start(e) => {
                let line = x.line();
                match local(&e) {
                    b"ElectionName" => sheet.title = Some(clean(&x.text()?)),
                    b"ElectionDate" => sheet.date = iso_date(&x.text()?),
                    b"Region" => region = Some(clean(&x.text()?)),
                    b"VoterTurnout" | b"ElectionVoterTurnout" => {
                        let county_file = local(&e) == b"VoterTurnout";
                        sub_level = if county_file { "precinct" } else { "county" };
                        let r = ensure_root(
                            &mut sheet,
                            &region,
                            &mut root,
                            if county_file { "county" } else { "state" },
                            line,
                        )?;
                        let a = attrs(&e, &|| Location::line(line))?;
                        if let Some(v) = get(&a, b"totalVoters") {
                            sheet.units[r].registered = known_voters(parse_count(v, || {
                                Location::line(line).field("totalVoters")
                            })?);
                        }
                        if let Some(v) = get(&a, b"ballotsCast") {
                            sheet.units[r].ballots =
                                parse_count(v, || Location::line(line).field("ballotsCast"))?;
                        }
                        turnout(&mut x, &mut sheet, r, sub_level, &mut precincts)?;
                    }
                    b"Contest" => {
                        let r = ensure_root(&mut sheet, &region, &mut root, "region", line)?;
                        contest(
                            &mut x,
                            &e,
                            &mut sheet,
                            r,
                            sub_level,
                            mapping,
                            &mut precincts,
                        )?;
                    }
                    _ => x.skip()?,
                }
            }
            Ev::End | Ev::Eof => break,
            _ => {}
        }
    }
    if root.is_none() {
        return Err(FormatError::invalid(
            x.loc(),
            "the file has neither a turnout block nor a contest",
        ));
    }
    attach_ballots(&mut sheet, &precincts, sub_level == "precinct")?;
    Ok(sheet)
}

/// Precinct counts the file states: per subunit, its precincts (turnout block); per (contest,
/// subunit), the contest's precincts there (`ParticipatingCounties`).
#[derive(Default)]
struct Precincts {
    of_unit: std::collections::HashMap<usize, u64>,
    of_contest: std::collections::HashMap<(usize, usize), u64>,
}

/// Each subunit's `ballotsCast` as the ballots of the contests it lies wholly inside (see the
/// module docs); the root's figure is left to the roll-up of its subunits.
fn attach_ballots(
    sheet: &mut Sheet,
    precincts: &Precincts,
    precinct_level: bool,
) -> Result<(), FormatError> {
    let subunits = sheet.units.iter().filter(|u| u.parent.is_some()).count();
    let mut reporting = vec![0usize; sheet.contests.len()];
    for &(u, c) in sheet.cells.keys() {
        if sheet.units[u].parent.is_some() {
            reporting[c] += 1;
        }
    }
    let cells: Vec<(usize, usize, u64)> = sheet
        .cells
        .iter()
        .map(|(&(u, c), cell)| (u, c, cell.line))
        .collect();
    for (u, c, line) in cells {
        let su = &sheet.units[u];
        let Some(ballots) = su.ballots.filter(|_| su.parent.is_some()) else {
            continue;
        };
        let whole = precinct_level
            || match (precincts.of_contest.get(&(c, u)), precincts.of_unit.get(&u)) {
                (Some(part), Some(all)) => part == all,
                _ => reporting[c] == subunits,
            };
        if whole {
            // The figure is the unit's own (its turnout line), not the contest's.
            let stated = if su.ballots_line > 0 {
                su.ballots_line
            } else {
                line
            };
            sheet.add_other(u, c, Other::Ballots, ballots, stated, false)?;
        }
    }
    Ok(())
}

fn subunit(
    x: &Xml,
    e: &quick_xml::events::BytesStart,
    sheet: &mut Sheet,
    root: usize,
    level: &str,
) -> Result<(usize, Option<u64>, u64), FormatError> {
    let line = x.line();
    let [name, votes, voters] = pick(e, [b"name".as_slice(), b"votes", b"totalVoters"], &|| {
        Location::line(line)
    })?;
    let name = name.ok_or_else(|| {
        FormatError::invalid(Location::line(line).field("name"), "a subunit has no name")
    })?;
    let u = sheet.unit(Some(root), &name, Some(level), line)?;
    let votes = match votes {
        Some(v) => parse_count(&v, || Location::line(line).field("votes"))?,
        None => None,
    };
    if let Some(v) = voters {
        sheet.units[u].registered = known_voters(parse_count(&v, || {
            Location::line(line).field("totalVoters")
        })?);
    }
    Ok((u, votes, line))
}

/// Registered voters as Clarity gives them: `totalVoters="0"` is what its exports write when
/// the county did not load its rolls (Greenup County's 2014 primary: 0 voters and 203 ballots
/// in a precinct), so 0 means unknown, not an empty roll that every ballot would exceed.
fn known_voters(v: Option<u64>) -> Option<u64> {
    v.filter(|&n| n > 0)
}

/// A subunit of the turnout block: registered voters, ballots cast and its precinct count.
fn turnout_unit(
    x: &Xml,
    e: &quick_xml::events::BytesStart,
    sheet: &mut Sheet,
    root: usize,
    level: &str,
    precincts: &mut Precincts,
) -> Result<(), FormatError> {
    let (u, _, line) = subunit(x, e, sheet, root, level)?;
    let [ballots, count] = pick(
        e,
        [b"ballotsCast".as_slice(), b"precinctsParticipating"],
        &|| Location::line(line),
    )?;
    if let Some(v) = ballots {
        sheet.units[u].ballots = parse_count(&v, || Location::line(line).field("ballotsCast"))?;
        sheet.units[u].ballots_line = line;
    }
    if let Some(v) = count {
        if let Some(n) = parse_count(&v, || Location::line(line).field("precinctsParticipating"))? {
            precincts.of_unit.insert(u, n);
        }
    }
    Ok(())
}

fn turnout(
    x: &mut Xml,
    sheet: &mut Sheet,
    root: usize,
    level: &str,
    precincts: &mut Precincts,
) -> Result<(), FormatError> {
    let mut depth = 1usize;
    loop {
        match x.next()? {
            Ev::Start(e) => {
                if matches!(local(&e), b"Precinct" | b"County") {
                    turnout_unit(x, &e, sheet, root, level, precincts)?;
                }
                depth += 1;
            }
            Ev::Empty(e) => {
                if matches!(local(&e), b"Precinct" | b"County") {
                    turnout_unit(x, &e, sheet, root, level, precincts)?;
                }
            }
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside the turnout block",
                ))
            }
            Ev::Text(_) => {}
        }
    }
}

fn contest(
    x: &mut Xml,
    e: &quick_xml::events::BytesStart,
    sheet: &mut Sheet,
    root: usize,
    level: &str,
    mapping: Option<&Mapping>,
    precincts: &mut Precincts,
) -> Result<(), FormatError> {
    let line = x.line();
    let a = attrs(e, &|| Location::line(line))?;
    let text = get(&a, b"text").ok_or_else(|| {
        FormatError::invalid(
            Location::line(line).field("Contest@text"),
            "a contest has no text",
        )
    })?;
    let key = get(&a, b"key")
        .map(str::to_string)
        .unwrap_or_else(|| norm_key(text));
    let vote_for = match get(&a, b"voteFor") {
        Some(v) => parse_count(v, || Location::line(line).field("voteFor"))?.unwrap_or(1),
        None => 1,
    };
    let kind = if get(&a, b"isQuestion").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        ContestKind::BallotMeasure
    } else {
        ContestKind::Candidate
    };
    let c = sheet.contest_keyed(
        &key,
        Names::plain(&clean(text)),
        kind,
        u32::try_from(vote_for).unwrap_or(u32::MAX),
        line,
    )?;
    let mut depth = 1usize;
    loop {
        match x.next()? {
            Ev::Start(e) => match local(&e) {
                b"Choice" => choice(x, &e, sheet, c, root, level, mapping)?,
                b"VoteType" => vote_type_block(x, &e, sheet, c, None, root, level, mapping)?,
                b"ParticipatingCounties" => participating(x, sheet, c, root, level, precincts)?,
                _ => x.skip()?,
            },
            Ev::Empty(e) => {
                if local(&e) == b"Choice" {
                    let l = x.line();
                    let a = attrs(&e, &|| Location::line(l))?;
                    choice_sel(sheet, c, &a, l, mapping)?;
                }
            }
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a contest",
                ))
            }
            Ev::Text(_) => {}
        }
    }
}

/// A contest's `ParticipatingCounties`: how many of its precincts lie in each county.
fn participating(
    x: &mut Xml,
    sheet: &mut Sheet,
    c: usize,
    root: usize,
    level: &str,
    precincts: &mut Precincts,
) -> Result<(), FormatError> {
    let mut depth = 1usize;
    loop {
        let county = match x.next()? {
            Ev::Start(e) => {
                depth += 1;
                (local(&e) == b"County").then_some(e)
            }
            Ev::Empty(e) => (local(&e) == b"County").then_some(e),
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
                None
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside ParticipatingCounties",
                ))
            }
            Ev::Text(_) => None,
        };
        if let Some(e) = county {
            let line = x.line();
            let (u, _, _) = subunit(x, &e, sheet, root, level)?;
            let [count] = pick(&e, [b"precinctsParticipating".as_slice()], &|| {
                Location::line(line)
            })?;
            if let Some(v) = count {
                if let Some(n) =
                    parse_count(&v, || Location::line(line).field("precinctsParticipating"))?
                {
                    precincts.of_contest.insert((c, u), n);
                }
            }
        }
    }
}

fn choice_sel(
    sheet: &mut Sheet,
    c: usize,
    a: &[(&[u8], std::borrow::Cow<'_, str>)],
    line: u64,
    mapping: Option<&Mapping>,
) -> Result<usize, FormatError> {
    let text = get(a, b"text").ok_or_else(|| {
        FormatError::invalid(
            Location::line(line).field("Choice@text"),
            "a choice has no text",
        )
    })?;
    let key = get(a, b"key")
        .map(str::to_string)
        .unwrap_or_else(|| norm_key(text));
    let party = choice_party(get(a, b"party"), text, mapping).and_then(|p| sheet.party(p));
    sheet.selection_keyed(c, &key, Names::plain(&clean(text)), party, line)
}

fn choice(
    x: &mut Xml,
    e: &quick_xml::events::BytesStart,
    sheet: &mut Sheet,
    c: usize,
    root: usize,
    level: &str,
    mapping: Option<&Mapping>,
) -> Result<(), FormatError> {
    let line = x.line();
    let a = attrs(e, &|| Location::line(line))?;
    let s = choice_sel(sheet, c, &a, line, mapping)?;
    loop {
        match x.next()? {
            Ev::Start(e) => match local(&e) {
                b"VoteType" => vote_type_block(x, &e, sheet, c, Some(s), root, level, mapping)?,
                _ => x.skip()?,
            },
            Ev::Empty(e) => {
                if local(&e) == b"VoteType" {
                    // A vote type without subunits: the root's figure.
                    let l = x.line();
                    let a = attrs(&e, &|| Location::line(l))?;
                    let name = get(&a, b"name").unwrap_or("");
                    let v = get(&a, b"votes")
                        .map(|v| parse_count(v, || Location::line(l).field("votes")))
                        .transpose()?
                        .flatten()
                        .unwrap_or(0);
                    match vote_type(name, false, mapping, Location::line(l))? {
                        VtKind::Votes(t) => sheet.add(root, c, s, t, v, l, true)?,
                        VtKind::Other(o) => sheet.add_other(root, c, o, v, l, true)?,
                    }
                }
            }
            Ev::End => return Ok(()),
            Ev::Eof => return Err(FormatError::syntax(x.loc(), "the XML ends inside a choice")),
            Ev::Text(_) => {}
        }
    }
}

/// The party code of a choice: its `party` attribute, unless that says "no party" and the
/// choice's text ends in a tag naming a party (the table's or the mapping's `[party_names]`).
fn choice_party<'a>(
    attribute: Option<&'a str>,
    text: &'a str,
    mapping: Option<&Mapping>,
) -> Option<&'a str> {
    let attribute = attribute.map(str::trim).filter(|p| !p.is_empty());
    if let Some(p) = attribute.filter(|p| !party::is_no_party(p)) {
        return Some(p);
    }
    let names_a_party = |tag: &str| {
        mapping.is_some_and(|m| m.party_name(tag).is_some())
            || party::known(tag).is_some_and(|k| k.color.is_some())
    };
    party::trailing_tags(text)
        .into_iter()
        .find(|t| names_a_party(t))
        .or(attribute)
}

#[allow(clippy::too_many_arguments)]
fn vote_type_block(
    x: &mut Xml,
    e: &quick_xml::events::BytesStart,
    sheet: &mut Sheet,
    c: usize,
    s: Option<usize>,
    root: usize,
    level: &str,
    mapping: Option<&Mapping>,
) -> Result<(), FormatError> {
    let line = x.line();
    let a = attrs(e, &|| Location::line(line))?;
    let name = get(&a, b"name").unwrap_or("").to_string();
    let total = get(&a, b"votes")
        .map(|v| parse_count(v, || Location::line(line).field("votes")))
        .transpose()?
        .flatten();
    let kind = vote_type(&name, s.is_none(), mapping, Location::line(line))?;
    let mut sum = 0u64;
    let mut any = false;
    let record = |sheet: &mut Sheet, u: usize, v: u64, l: u64| -> Result<(), FormatError> {
        match (&kind, s) {
            (VtKind::Votes(t), Some(s)) => sheet.add(u, c, s, *t, v, l, true),
            (VtKind::Other(o), _) => sheet.add_other(u, c, *o, v, l, true),
            (VtKind::Votes(_), None) => Ok(()),
        }
    };
    loop {
        match x.next()? {
            Ev::Start(e) => {
                if matches!(local(&e), b"Precinct" | b"County") {
                    let (u, v, l) = subunit(x, &e, sheet, root, level)?;
                    let v = v.unwrap_or(0);
                    sum = sum.saturating_add(v);
                    any = true;
                    record(sheet, u, v, l)?;
                }
                x.skip()?;
            }
            Ev::Empty(e) => {
                if matches!(local(&e), b"Precinct" | b"County") {
                    let (u, v, l) = subunit(x, &e, sheet, root, level)?;
                    let v = v.unwrap_or(0);
                    sum = sum.saturating_add(v);
                    any = true;
                    record(sheet, u, v, l)?;
                }
            }
            Ev::End => break,
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a vote type",
                ))
            }
            Ev::Text(_) => {}
        }
    }
    match (any, total) {
        (true, Some(t)) if t != sum && s.is_some() => {
            let con = &sheet.contests[c];
            let sel = s
                .map(|s| con.selections[s].name.display.clone())
                .unwrap_or_default();
            Err(FormatError::invalid(
                Location::line(line).field("VoteType@votes"),
                format!(
                    "contest {:?}, choice {sel:?}, vote type {name:?}: votes=\"{t}\" but its subunits add up to {sum}; the file contradicts itself",
                    con.name.display
                ),
            ))
        }
        (false, Some(t)) => record(sheet, root, t, line),
        _ => Ok(()),
    }
}
