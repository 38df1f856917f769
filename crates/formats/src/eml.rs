//! EML 510 (OASIS Election Markup Language v5, as the Dutch Electoral Council's EML_NL uses it):
//! the count of one authority (`510a` polling station, `510b` municipality, `510c` district,
//! `510d` central), the document Kiesraad's Abacus writes.
//!
//! Shape: `<EML Id="510b">` with a `ManagingAuthority` (`AuthorityIdentifier Id="0014"`, the
//! authority's name as text) and `Count/Election` holding the `ElectionIdentifier` (name,
//! `kr:ElectionDate`) and `Contests/Contest`: a `ContestIdentifier Id` (`geen` when the election
//! has one contest, a district number otherwise), then `TotalVotes` (the authority's whole count)
//! and one `ReportingUnitVotes` per reporting unit (`ReportingUnitIdentifier Id="0014::SB1"`,
//! its name as text). Each of those blocks lists `Selection`s with their `ValidVotes`, then
//! `Cast`, `TotalCounted`, `RejectedVotes` and `UncountedVotes` with reason codes.
//!
//! What is read, deliberately:
//! - the units are the authority (the root, keyed by its `AuthorityIdentifier Id`) and the
//!   reporting units below it (keyed by their `ReportingUnitIdentifier Id`, named by its text),
//!   so a definition derived from the file keeps EML's ids;
//! - a selection list is affiliations (party lists), each followed by its candidates (whose ids
//!   are numbers within the list). A contest with candidates is read as a `candidate` contest
//!   whose selections are the candidates, keyed `<list>.<candidate>` and belonging to their
//!   list's party: every Dutch vote is a vote for a candidate, so a list's `ValidVotes` must be
//!   the sum of its candidates' (a file that says otherwise contradicts itself and is refused).
//!   A contest of affiliations only is a `party_list` contest of the lists, keyed by list id;
//!   one of `ReferendumOptionIdentifier`s a `ballot_measure` contest;
//! - `ValidVotes` are `total` votes (EML_NL does not break them down); `RejectedVotes`
//!   `blanco` and `ongeldig` are the blank and invalid votes; `UncountedVotes` `toegelaten
//!   kiezers` (voters admitted) are the ballots; `Cast` (which EML_NL uses for the voters
//!   entitled to vote) is a unit's registered voters; other uncounted-vote reasons (poll cards,
//!   proxies, differences explained) have no place in a statement and are not read;
//! - `TotalCounted` must equal the sum of a block's lists (or options), and `TotalVotes` the
//!   sum of the reporting units' figures: a file that contradicts itself is refused. The
//!   reporting units' figures are what is imported; a contest without reporting units gives
//!   the authority's `TotalVotes`.

use skytale_model::{ContestKind, CountType};

use crate::error::{FormatError, Location};
use crate::norm::{clean, iso_date, parse_count};
use crate::sheet::{Names, Other, Sheet};
use crate::xml::{attrs, get, local, to_utf8, Ev, Xml};
use crate::Format;

/// The XML namespace of OASIS EML v5 (EML_NL's elements are in it; Kiesraad's extensions in
/// `http://www.kiesraad.nl/extensions`, read here by local name).
pub const EML_NAMESPACE: &str = "urn:oasis:names:tc:evs:schema:eml";

/// `UncountedVotes` reason code of the voters admitted to vote: a unit's ballots.
const ADMITTED_VOTERS: &str = "toegelaten kiezers";

/// Whether an EML document `Id` is a count (`510`, `510a` … `510d`).
pub(crate) fn is_count_id(id: &str) -> bool {
    matches!(id, "510" | "510a" | "510b" | "510c" | "510d")
}

/// What one `Selection` names.
#[derive(Clone, Debug)]
enum Choice {
    /// A list: its id and registered name.
    Affiliation { id: String, name: String },
    /// A candidate of the list before it: its id (a number within the list) and full name.
    Candidate { id: String, name: Option<String> },
    /// A referendum option: its id (or text) and text.
    Option { id: String, text: String },
}

#[derive(Clone, Debug)]
struct Sel {
    choice: Choice,
    votes: u64,
    line: u64,
}

/// A `TotalVotes` or `ReportingUnitVotes` block.
#[derive(Clone, Debug, Default)]
struct Block {
    /// The reporting unit (`None` for `TotalVotes`): id, name.
    unit: Option<(String, String)>,
    line: u64,
    sels: Vec<Sel>,
    cast: Option<u64>,
    total_counted: Option<(u64, u64)>,
    blank: Option<u64>,
    invalid: Option<u64>,
    admitted: Option<u64>,
}

/// The election's identification, for names of what the file does not name.
#[derive(Default)]
struct Election {
    name: Option<String>,
}

/// Reads an EML 510 count into a sheet (names are resolved against a definition, and its
/// mapping, by the sheet's import).
pub(crate) fn read(bytes: &[u8]) -> Result<Sheet, FormatError> {
    let src = to_utf8(bytes)?;
    let mut x = Xml::new(&src);
    let mut sheet = Sheet::new(Format::Eml510);
    sheet.keys_are_ids = true;
    let doc_id = loop {
        match x.next()? {
            Ev::Start(e) if local(&e) == b"EML" => {
                let line = x.line();
                let a = attrs(&e, &|| Location::line(line))?;
                let id = get(&a, b"Id").unwrap_or("").to_string();
                if !is_count_id(&id) {
                    return Err(FormatError::syntax(
                        Location::line(line).field("EML@Id"),
                        format!("not an EML 510 count: the document's Id is {id:?} (510a, 510b, 510c or 510d expected; 520 is a result, 110a/230b definitions and candidate lists)"),
                    ));
                }
                break id;
            }
            Ev::Start(e) | Ev::Empty(e) => {
                return Err(FormatError::syntax(
                    x.loc(),
                    format!(
                        "not an EML 510 count: root element is <{}>, expected <EML Id=\"510…\">",
                        String::from_utf8_lossy(local(&e))
                    ),
                ))
            }
            Ev::Eof => return Err(FormatError::syntax(
                x.loc(),
                "not an EML 510 count: the file has no XML element, let alone <EML Id=\"510…\">",
            )),
            _ => {}
        }
    };
    let mut authority: Option<(String, String, u64)> = None;
    let mut election = Election::default();
    let mut root: Option<usize> = None;
    let mut contests = 0usize;
    let mut depth = 1usize;
    loop {
        match x.next()? {
            Ev::Start(e) => {
                let line = x.line();
                match local(&e) {
                    b"ManagingAuthority" => {
                        authority = managing_authority(&mut x)?.map(|(i, n)| (i, n, line));
                    }
                    // The containers on the way down: entered, not skipped.
                    b"Count" | b"Election" | b"Contests" => depth += 1,
                    b"ElectionIdentifier" => {
                        election_identifier(&mut x, &mut sheet, &mut election)?
                    }
                    b"Contest" => {
                        let r = match root {
                            Some(r) => r,
                            None => {
                                let r = root_unit(&mut sheet, &authority, &doc_id, line)?;
                                root = Some(r);
                                r
                            }
                        };
                        contest(&mut x, &mut sheet, r, &election, line)?;
                        contests += 1;
                    }
                    _ => x.skip()?,
                }
            }
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Ev::Eof => break,
            Ev::Empty(_) | Ev::Text(_) => {}
        }
    }
    if contests == 0 {
        return Err(FormatError::invalid(
            x.loc(),
            "the EML 510 count has no Count/Election/Contests/Contest",
        ));
    }
    Ok(sheet)
}

/// `AuthorityIdentifier`'s id and text, if there is one.
fn managing_authority(x: &mut Xml) -> Result<Option<(String, String)>, FormatError> {
    let mut found = None;
    let mut depth = 1usize;
    loop {
        match x.next()? {
            Ev::Start(e) => {
                if local(&e) == b"AuthorityIdentifier" {
                    let line = x.line();
                    let a = attrs(&e, &|| Location::line(line))?;
                    let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                    let name = clean(&x.text()?);
                    found = Some((id, name));
                } else {
                    x.skip()?;
                }
            }
            Ev::Empty(e) => {
                if local(&e) == b"AuthorityIdentifier" {
                    let line = x.line();
                    let a = attrs(&e, &|| Location::line(line))?;
                    let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                    found = Some((id, String::new()));
                }
            }
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(found);
                }
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside ManagingAuthority",
                ))
            }
            Ev::Text(_) => {}
        }
    }
}

fn election_identifier(
    x: &mut Xml,
    sheet: &mut Sheet,
    election: &mut Election,
) -> Result<(), FormatError> {
    loop {
        match x.next()? {
            Ev::Start(e) => match local(&e) {
                b"ElectionName" => {
                    let n = clean(&x.text()?);
                    if !n.is_empty() {
                        sheet.title = Some(n.clone());
                        election.name = Some(n);
                    }
                }
                b"ElectionDate" => sheet.date = iso_date(&x.text()?),
                _ => x.skip()?,
            },
            Ev::End => return Ok(()),
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside ElectionIdentifier",
                ))
            }
            Ev::Empty(_) | Ev::Text(_) => {}
        }
    }
}

/// The authority whose count this is: the root of the file's units.
fn root_unit(
    sheet: &mut Sheet,
    authority: &Option<(String, String, u64)>,
    doc_id: &str,
    line: u64,
) -> Result<usize, FormatError> {
    let level = match doc_id {
        "510a" => "polling-place",
        "510b" => "municipality",
        "510c" => "district",
        _ => "country",
    };
    match authority {
        Some((id, name, l)) if !id.is_empty() => {
            let name = if name.is_empty() { id } else { name };
            sheet.unit_keyed(id, Names::plain(name), None, Some(level), *l)
        }
        Some((_, name, l)) if !name.is_empty() => sheet.unit(None, name, Some(level), *l),
        _ => Err(FormatError::invalid(
            Location::line(line).field("ManagingAuthority/AuthorityIdentifier"),
            "the count names no managing authority (AuthorityIdentifier with an Id), whose count it is",
        )),
    }
}

/// A reporting unit's level from its EML_NL id: `…SB<n>` a polling station, four digits a
/// municipality, `HSB<n>` a district.
fn unit_level(id: &str) -> &'static str {
    let last = id.rsplit("::").next().unwrap_or(id);
    if last.starts_with("SB") {
        "polling-place"
    } else if last.starts_with("HSB") {
        "district"
    } else if last.len() == 4 && last.bytes().all(|b| b.is_ascii_digit()) {
        "municipality"
    } else {
        "reporting-unit"
    }
}

fn contest(
    x: &mut Xml,
    sheet: &mut Sheet,
    root: usize,
    election: &Election,
    line: u64,
) -> Result<(), FormatError> {
    let mut id: Option<(String, Option<String>, u64)> = None;
    let mut total: Option<Block> = None;
    let mut units: Vec<Block> = Vec::new();
    loop {
        match x.next()? {
            Ev::Start(e) => {
                let l = x.line();
                match local(&e) {
                    b"ContestIdentifier" => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let cid = get(&a, b"Id").unwrap_or("").trim().to_string();
                        let name = contest_name(x)?;
                        id = Some((cid, name, l));
                    }
                    b"TotalVotes" => total = Some(block(x, None, l)?),
                    b"ReportingUnitVotes" => units.push(block(x, Some(()), l)?),
                    _ => x.skip()?,
                }
            }
            Ev::Empty(e) => {
                if local(&e) == b"ContestIdentifier" {
                    let l = x.line();
                    let a = attrs(&e, &|| Location::line(l))?;
                    let cid = get(&a, b"Id").unwrap_or("").trim().to_string();
                    id = Some((cid, None, l));
                }
            }
            Ev::End => break,
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a contest",
                ))
            }
            Ev::Text(_) => {}
        }
    }
    let (cid, name, cline) = match id {
        Some(i) if !i.0.is_empty() => i,
        _ => {
            return Err(FormatError::invalid(
                Location::line(line).field("ContestIdentifier@Id"),
                "a contest has no ContestIdentifier Id",
            ))
        }
    };
    let blocks: Vec<&Block> = total.iter().chain(units.iter()).collect();
    let kind = contest_kind(&blocks, &cid)?;
    let name = name.unwrap_or_else(|| match (cid.as_str(), &election.name) {
        ("geen" | "alle", Some(n)) => n.clone(),
        (_, Some(n)) => format!("{n} {cid}"),
        (_, None) => format!("Contest {cid}"),
    });
    let c = sheet.contest_keyed(&cid, Names::plain(&name), kind, 1, cline)?;
    for b in &blocks {
        check_block(b, kind, &cid)?;
    }
    if units.is_empty() {
        if let Some(t) = &total {
            fill(sheet, root, c, t, kind)?;
        }
        return Ok(());
    }
    for b in &units {
        let (uid, uname) = b.unit.clone().unwrap_or_default();
        if uid.is_empty() {
            return Err(FormatError::invalid(
                Location::line(b.line).field("ReportingUnitIdentifier@Id"),
                format!("contest {cid:?}: a ReportingUnitVotes has no ReportingUnitIdentifier Id"),
            ));
        }
        let names = Names::plain(if uname.is_empty() { &uid } else { &uname });
        let u = sheet.unit_keyed(&uid, names, Some(root), Some(unit_level(&uid)), b.line)?;
        fill(sheet, u, c, b, kind)?;
    }
    if let Some(t) = &total {
        check_total(t, &units, kind, &cid)?;
    }
    Ok(())
}

/// `ContestName` inside a `ContestIdentifier`, if any.
fn contest_name(x: &mut Xml) -> Result<Option<String>, FormatError> {
    let mut name = None;
    loop {
        match x.next()? {
            Ev::Start(e) => {
                if local(&e) == b"ContestName" {
                    let n = clean(&x.text()?);
                    if !n.is_empty() {
                        name = Some(n);
                    }
                } else {
                    x.skip()?;
                }
            }
            Ev::End => return Ok(name),
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside ContestIdentifier",
                ))
            }
            Ev::Empty(_) | Ev::Text(_) => {}
        }
    }
}

fn count_text(x: &mut Xml, field: &str) -> Result<u64, FormatError> {
    let line = x.line();
    let t = x.text()?;
    parse_count(&t, || Location::line(line).field(field))?.ok_or_else(|| {
        FormatError::invalid(
            Location::line(line).field(field),
            format!("{field} is empty; a count is a whole number"),
        )
    })
}

/// A `TotalVotes` (`unit` None) or `ReportingUnitVotes` block.
fn block(x: &mut Xml, unit: Option<()>, line: u64) -> Result<Block, FormatError> {
    let mut b = Block {
        line,
        ..Block::default()
    };
    loop {
        match x.next()? {
            Ev::Start(e) => {
                let l = x.line();
                match local(&e) {
                    b"ReportingUnitIdentifier" if unit.is_some() => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                        b.unit = Some((id, clean(&x.text()?)));
                    }
                    b"Selection" => b.sels.push(selection(x, l)?),
                    b"Cast" => b.cast = Some(count_text(x, "Cast")?),
                    b"TotalCounted" => b.total_counted = Some((count_text(x, "TotalCounted")?, l)),
                    b"RejectedVotes" => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let reason = get(&a, b"ReasonCode").unwrap_or("").trim().to_string();
                        let v = count_text(x, "RejectedVotes")?;
                        let slot = match reason.as_str() {
                            "blanco" => &mut b.blank,
                            "ongeldig" => &mut b.invalid,
                            other => {
                                return Err(FormatError::invalid(
                                    Location::line(l).field("RejectedVotes@ReasonCode"),
                                    format!("unknown rejected-votes reason {other:?} (EML_NL has \"blanco\" and \"ongeldig\")"),
                                ))
                            }
                        };
                        if slot.replace(v).is_some() {
                            return Err(FormatError::invalid(
                                Location::line(l).field("RejectedVotes@ReasonCode"),
                                format!("RejectedVotes {reason:?} is given twice in one block"),
                            ));
                        }
                    }
                    b"UncountedVotes" => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let admitted =
                            get(&a, b"ReasonCode").map(str::trim) == Some(ADMITTED_VOTERS);
                        let v = count_text(x, "UncountedVotes")?;
                        if admitted && b.admitted.replace(v).is_some() {
                            return Err(FormatError::invalid(
                                Location::line(l).field("UncountedVotes@ReasonCode"),
                                format!("UncountedVotes {ADMITTED_VOTERS:?} is given twice in one block"),
                            ));
                        }
                    }
                    _ => x.skip()?,
                }
            }
            Ev::Empty(e) => {
                if unit.is_some() && local(&e) == b"ReportingUnitIdentifier" {
                    let l = x.line();
                    let a = attrs(&e, &|| Location::line(l))?;
                    let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                    b.unit = Some((id, String::new()));
                }
            }
            Ev::End => return Ok(b),
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a votes block",
                ))
            }
            Ev::Text(_) => {}
        }
    }
}

/// One `Selection`: what it names and its `ValidVotes`.
fn selection(x: &mut Xml, line: u64) -> Result<Sel, FormatError> {
    let mut choice: Option<Choice> = None;
    let mut votes: Option<u64> = None;
    let set = |choice: &mut Option<Choice>, c: Choice, l: u64| {
        if choice.replace(c).is_some() {
            return Err(FormatError::invalid(
                Location::line(l).field("Selection"),
                "a Selection names more than one candidate, list or option",
            ));
        }
        Ok(())
    };
    loop {
        match x.next()? {
            Ev::Start(e) => {
                let l = x.line();
                match local(&e) {
                    b"AffiliationIdentifier" => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                        let name = registered_name(x)?;
                        set(&mut choice, Choice::Affiliation { id, name }, l)?;
                    }
                    b"Candidate" => {
                        let (id, name) = candidate(x, l)?;
                        set(&mut choice, Choice::Candidate { id, name }, l)?;
                    }
                    b"ReferendumOptionIdentifier" => {
                        let a = attrs(&e, &|| Location::line(l))?;
                        let id = get(&a, b"Id").map(|s| s.trim().to_string());
                        let text = clean(&x.text()?);
                        let id = id.filter(|s| !s.is_empty()).unwrap_or_else(|| text.clone());
                        set(&mut choice, Choice::Option { id, text }, l)?;
                    }
                    b"ValidVotes" => {
                        if votes.replace(count_text(x, "ValidVotes")?).is_some() {
                            return Err(FormatError::invalid(
                                Location::line(l).field("ValidVotes"),
                                "a Selection has ValidVotes twice",
                            ));
                        }
                    }
                    _ => x.skip()?,
                }
            }
            Ev::Empty(e) => {
                let l = x.line();
                if local(&e) == b"AffiliationIdentifier" {
                    let a = attrs(&e, &|| Location::line(l))?;
                    let id = get(&a, b"Id").unwrap_or("").trim().to_string();
                    set(
                        &mut choice,
                        Choice::Affiliation {
                            id,
                            name: String::new(),
                        },
                        l,
                    )?;
                }
            }
            Ev::End => break,
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a Selection",
                ))
            }
            Ev::Text(_) => {}
        }
    }
    let choice = choice.ok_or_else(|| {
        FormatError::invalid(
            Location::line(line).field("Selection"),
            "a Selection names no candidate, list (AffiliationIdentifier) or referendum option",
        )
    })?;
    let id = match &choice {
        Choice::Affiliation { id, .. }
        | Choice::Candidate { id, .. }
        | Choice::Option { id, .. } => id,
    };
    if id.is_empty() {
        return Err(FormatError::invalid(
            Location::line(line).field("Selection"),
            "a Selection's candidate, list or option has no Id",
        ));
    }
    let votes = votes.ok_or_else(|| {
        FormatError::invalid(
            Location::line(line).field("ValidVotes"),
            format!("the Selection of {id:?} has no ValidVotes"),
        )
    })?;
    Ok(Sel {
        choice,
        votes,
        line,
    })
}

fn registered_name(x: &mut Xml) -> Result<String, FormatError> {
    let mut name = String::new();
    loop {
        match x.next()? {
            Ev::Start(e) => {
                if local(&e) == b"RegisteredName" {
                    name = clean(&x.text()?);
                } else {
                    x.skip()?;
                }
            }
            Ev::End => return Ok(name),
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside AffiliationIdentifier",
                ))
            }
            Ev::Empty(_) | Ev::Text(_) => {}
        }
    }
}

/// A `Candidate`: its `CandidateIdentifier Id` and, when given, its full name (the parts of
/// `CandidateFullName`'s person name in document order).
fn candidate(x: &mut Xml, line: u64) -> Result<(String, Option<String>), FormatError> {
    let mut id = String::new();
    let mut name: Option<String> = None;
    loop {
        match x.next()? {
            Ev::Start(e) => match local(&e) {
                b"CandidateIdentifier" => {
                    let a = attrs(&e, &|| Location::line(line))?;
                    id = get(&a, b"Id").unwrap_or("").trim().to_string();
                    x.skip()?;
                }
                b"CandidateFullName" => {
                    let n = clean(&full_name(x)?);
                    if !n.is_empty() {
                        name = Some(n);
                    }
                }
                _ => x.skip()?,
            },
            Ev::Empty(e) => {
                if local(&e) == b"CandidateIdentifier" {
                    let a = attrs(&e, &|| Location::line(line))?;
                    id = get(&a, b"Id").unwrap_or("").trim().to_string();
                }
            }
            Ev::End => return Ok((id, name)),
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside a Candidate",
                ))
            }
            Ev::Text(_) => {}
        }
    }
}

/// The texts inside `CandidateFullName`, joined by spaces (`xnl:FirstName`, `xnl:NamePrefix`,
/// `xnl:LastName`… in document order).
fn full_name(x: &mut Xml) -> Result<String, FormatError> {
    let mut out = String::new();
    let mut depth = 1usize;
    loop {
        match x.next()? {
            Ev::Start(_) => depth += 1,
            Ev::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(out);
                }
            }
            Ev::Text(t) => {
                if out.len() + t.len() > 4096 {
                    return Err(FormatError::TooLarge {
                        at: x.loc(),
                        what: "the length of a candidate's name",
                        limit: 4096,
                    });
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&t);
            }
            Ev::Eof => {
                return Err(FormatError::syntax(
                    x.loc(),
                    "the XML ends inside CandidateFullName",
                ))
            }
            Ev::Empty(_) => {}
        }
    }
}

/// The contest's kind from what its selections name (the same in every block).
fn contest_kind(blocks: &[&Block], cid: &str) -> Result<ContestKind, FormatError> {
    let mut lists = false;
    let mut candidates = false;
    let mut options: Option<u64> = None;
    for b in blocks {
        for s in &b.sels {
            match s.choice {
                Choice::Affiliation { .. } => lists = true,
                Choice::Candidate { .. } => candidates = true,
                Choice::Option { .. } => {
                    options.get_or_insert(s.line);
                }
            }
        }
    }
    match (options, lists || candidates) {
        (Some(line), true) => Err(FormatError::invalid(
            Location::line(line).field("Selection"),
            format!("contest {cid:?} mixes referendum options with lists or candidates"),
        )),
        (Some(_), false) => Ok(ContestKind::BallotMeasure),
        (None, _) if candidates => Ok(ContestKind::Candidate),
        (None, _) => Ok(ContestKind::PartyList),
    }
}

/// The figures a block states, as the import keeps them: per selection key (with its name and
/// list), and the other figures.
struct Figures {
    /// In file order.
    sels: Vec<Figure>,
}

/// One selection's figure: key, display name, its list's key and name, votes, line.
type Figure = (String, String, Option<(String, String)>, u64, u64);

/// A block's selections as the contest's kind keeps them, after checking that the block
/// agrees with itself: each list is the sum of its candidates (candidate contests), and
/// `TotalCounted` is the sum of the lists or options.
fn figures(b: &Block, kind: ContestKind, cid: &str) -> Result<Figures, FormatError> {
    let mut out = Vec::new();
    // The list being read: (id, name, its ValidVotes, its line, its candidates' sum).
    let mut list: Option<(String, String, u64, u64, u64)> = None;
    let close = |list: &Option<(String, String, u64, u64, u64)>| -> Result<(), FormatError> {
        match list {
            Some((id, name, votes, line, sum)) if kind == ContestKind::Candidate && votes != sum => {
                Err(FormatError::invalid(
                    Location::line(*line).field("ValidVotes"),
                    format!("contest {cid:?}, list {id} ({name}): ValidVotes {votes} but its candidates add up to {sum}; the file contradicts itself"),
                ))
            }
            _ => Ok(()),
        }
    };
    let mut top = 0u64;
    for s in &b.sels {
        match &s.choice {
            Choice::Affiliation { id, name } => {
                close(&list)?;
                list = Some((id.clone(), name.clone(), s.votes, s.line, 0));
                top = top.saturating_add(s.votes);
                if kind == ContestKind::PartyList {
                    let display = if name.is_empty() {
                        format!("List {id}")
                    } else {
                        name.clone()
                    };
                    out.push((
                        id.clone(),
                        display,
                        Some((id.clone(), name.clone())),
                        s.votes,
                        s.line,
                    ));
                }
            }
            Choice::Candidate { id, name } => {
                let Some(l) = list.as_mut() else {
                    return Err(FormatError::invalid(
                        Location::line(s.line).field("Selection"),
                        format!("contest {cid:?}: candidate {id} comes before any list (AffiliationIdentifier); a candidate follows its list"),
                    ));
                };
                l.4 = l.4.saturating_add(s.votes);
                let display = name.clone().unwrap_or_else(|| {
                    if l.1.is_empty() {
                        format!("List {} candidate {id}", l.0)
                    } else {
                        format!("{} candidate {id}", l.1)
                    }
                });
                out.push((
                    format!("{}.{id}", l.0),
                    display,
                    Some((l.0.clone(), l.1.clone())),
                    s.votes,
                    s.line,
                ));
            }
            Choice::Option { id, text } => {
                top = top.saturating_add(s.votes);
                out.push((id.clone(), text.clone(), None, s.votes, s.line));
            }
        }
    }
    close(&list)?;
    if let Some((counted, line)) = b.total_counted {
        if counted != top {
            return Err(FormatError::invalid(
                Location::line(line).field("TotalCounted"),
                format!("contest {cid:?}: TotalCounted {counted} but the {} add up to {top}; the file contradicts itself", if kind == ContestKind::BallotMeasure { "options" } else { "lists" }),
            ));
        }
    }
    Ok(Figures { sels: out })
}

fn check_block(b: &Block, kind: ContestKind, cid: &str) -> Result<(), FormatError> {
    figures(b, kind, cid).map(|_| ())
}

/// Puts a block's figures into unit `u` of contest `c`.
fn fill(
    sheet: &mut Sheet,
    u: usize,
    c: usize,
    b: &Block,
    kind: ContestKind,
) -> Result<(), FormatError> {
    let cid = sheet.contests[c].key.clone().unwrap_or_default();
    let f = figures(b, kind, &cid)?;
    for (key, name, list, votes, line) in f.sels {
        let party = list
            .filter(|(_, n)| kind != ContestKind::BallotMeasure && !n.is_empty())
            .and_then(|(id, n)| match sheet.party_by_key(&id) {
                Some(p) => Some(p),
                None => sheet.party_keyed(&id, Names::plain(&n), None),
            });
        let s = sheet.selection_keyed(c, &key, Names::plain(&name), party, line)?;
        sheet.add(u, c, s, CountType::Total, votes, line, false)?;
    }
    for (o, v) in [
        (Other::Blank, b.blank),
        (Other::Invalid, b.invalid),
        (Other::Ballots, b.admitted),
    ] {
        if let Some(v) = v {
            sheet.add_other(u, c, o, v, b.line, false)?;
        }
    }
    if let Some(cast) = b.cast {
        sheet.units[u].registered = Some(cast);
    }
    Ok(())
}

/// `TotalVotes` against the sum of the reporting units' blocks.
fn check_total(
    t: &Block,
    units: &[Block],
    kind: ContestKind,
    cid: &str,
) -> Result<(), FormatError> {
    let mut sums: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut others = [0u64; 3];
    for b in units {
        for (key, _, _, v, _) in figures(b, kind, cid)?.sels {
            let e = sums.entry(key).or_default();
            *e = e.saturating_add(v);
        }
        for (i, v) in [b.blank, b.invalid, b.admitted].into_iter().enumerate() {
            others[i] = others[i].saturating_add(v.unwrap_or(0));
        }
    }
    let contradicts = |what: String, stated: u64, sum: u64| {
        FormatError::invalid(
            Location::line(t.line).field("TotalVotes"),
            format!("contest {cid:?}: TotalVotes gives {stated} for {what} but its ReportingUnitVotes add up to {sum}; the file contradicts itself"),
        )
    };
    let mut seen = std::collections::BTreeSet::new();
    for (key, name, _, v, _) in figures(t, kind, cid)?.sels {
        let sum = sums.get(&key).copied().unwrap_or(0);
        if sum != v {
            return Err(contradicts(format!("{key} ({name})"), v, sum));
        }
        seen.insert(key);
    }
    if let Some((key, sum)) = sums.iter().find(|(k, s)| !seen.contains(*k) && **s > 0) {
        return Err(contradicts(key.clone(), 0, *sum));
    }
    for (i, (what, stated)) in [
        ("blank votes", t.blank),
        ("invalid votes", t.invalid),
        ("admitted voters", t.admitted),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(v) = stated {
            if v != others[i] {
                return Err(contradicts(what.to_string(), v, others[i]));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_ids() {
        assert_eq!(unit_level("0014::SB3"), "polling-place");
        assert_eq!(unit_level("HSB1::0014"), "municipality");
        assert_eq!(unit_level("HSB12"), "district");
        assert_eq!(unit_level("x"), "reporting-unit");
    }

    #[test]
    fn count_ids() {
        assert!(is_count_id("510b") && is_count_id("510d"));
        assert!(!is_count_id("520") && !is_count_id("510e"));
    }
}
