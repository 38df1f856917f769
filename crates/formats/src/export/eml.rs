//! EML 510 (count) and EML 520 (result) of a published tally, in OASIS EML v5 as the Dutch
//! Electoral Council's EML_NL has it (what Kiesraad's Abacus writes and its `eml-nl` crate
//! reads). Pure functions of the tally and the log position: same tally, same bytes.
//!
//! **510** (`Id="510d"`, a count of the whole election): per contest with reports,
//! `TotalVotes` (the contest's total) and one `ReportingUnitVotes` per unit whose own report
//! counts (a unit with a report of its own and no ancestor with one,
//! [`Tally::counted_units`]), so the units add up to the total, which the importer checks; a
//! contest without reports has its identifier only (a total of zeros would read as a report).
//! Per block: each selection's `ValidVotes`, `Cast` (EML_NL's field for the voters entitled to
//! vote: the unit's registered voters, 0 when the definition has none), `TotalCounted` (the
//! valid votes), `RejectedVotes` `ongeldig` and `blanco` (invalid and blank, which EML_NL
//! requires: 0 where no report stated them) and, when ballots were reported, `UncountedVotes`
//! `toegelaten kiezers` (the voters admitted, i.e. the ballots). When the election's root
//! reported for the whole contest, its figures are the `TotalVotes` alone (the importer reads
//! a total without reporting units as the authority's report).
//!
//! **520** (`Id="520"`, who is elected): every party-list contest whose seats the tally has
//! allocated, each list with its votes and `Elected` `yes` when it won a seat. Other contests
//! are left out: Skytale decides no winner of a plurality contest (a definition states no rule
//! for it), and EML_NL's 520 wants each elected candidate's residence, which no definition
//! has. Over- and undervotes have no place in EML_NL and are in neither document.
//!
//! Identifiers follow EML_NL's patterns, which are Dutch: an election id such as `GR2026_Assen`
//! (Skytale's `gr2026_assen` is written with its category in capitals),
//! contest ids `geen`, `alle`, a number or a Roman numeral, unit ids `HSB1`, `0014`,
//! `0014::SB3`…, list and candidate ids positive numbers. A definition whose ids already have
//! these shapes (one derived from an EML 510, whose candidates are `<list>.<candidate>`) keeps
//! them, so a round trip through the importer resolves every id. Other ids are replaced by
//! numbers in definition order (units `SB<n>`, contests and lists `<n>`, candidates `<n>`
//! within their list), and the names (unit names, list names, candidates' full names) are
//! written so that the importer resolves them by name. The election category is the election
//! id's prefix when it is one of EML_NL's (`TK`, `GR`, …) and otherwise `GR`, the category of
//! a single council election, which asks least of the document. Ranked-choice contests have no
//! counts per unit in the tally and are left out.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use skytale_model::{ContestKind, ValidDefinition};
use skytale_tally::{LogPosition, Tally};

use crate::eml::EML_NAMESPACE;

/// Kiesraad's extension namespace (`kr:ElectionDate`, `kr:CreationDateTime`).
const KR_NAMESPACE: &str = "http://www.kiesraad.nl/extensions";
/// The xNL namespace of person names (`CandidateFullName`).
const XNL_NAMESPACE: &str = "urn:oasis:names:tc:ciq:xsdschema:xNL:2.0";

/// EML_NL's election categories that may begin an election id.
const CATEGORIES: &[&str] = &[
    "EP", "EK", "TK", "GR", "BC", "GC", "ER", "PS", "AB", "NR", "PR", "LR", "IR",
];

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A positive number without a leading zero (EML_NL's list and candidate ids).
fn positive(s: &str) -> bool {
    digits(s) && !s.starts_with('0') && s.len() <= 18
}

/// `<prefix><digits>` with at least one digit.
fn prefixed(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(digits)
}

/// EML_NL's `ElectionIdType`: a category, a year (2xxx), optionally month and day, optionally
/// `_` and word characters.
fn election_id_ok(id: &str) -> bool {
    let Some(rest) = CATEGORIES.iter().find_map(|c| id.strip_prefix(c)) else {
        return false;
    };
    let (date, suffix) = match rest.find('_') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    (date.len() == 4 || date.len() == 8)
        && digits(date)
        && date.starts_with('2')
        && suffix.is_none_or(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// EML_NL's `ContestIdType`: a positive number, `geen`, `alle` or a Roman numeral.
fn contest_id_ok(id: &str) -> bool {
    if positive(id) || id == "geen" || id == "alle" {
        return true;
    }
    // Roman numerals as EML_NL's pattern writes them: M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})
    // (IX|IV|V?I{0,3}); non-empty here, since an empty id is never written.
    let mut rest = id;
    let take = |s: &mut &str, opts: &[&str]| {
        for o in opts {
            if let Some(r) = s.strip_prefix(o) {
                *s = r;
                return;
            }
        }
    };
    let m = rest.len() - rest.trim_start_matches('M').len();
    if m > 4 {
        return false;
    }
    rest = &rest[m..];
    for group in [
        ["CM", "CD", "DCCC", "DCC", "DC", "D", "CCC", "CC", "C"],
        ["XC", "XL", "LXXX", "LXX", "LX", "L", "XXX", "XX", "X"],
        ["IX", "IV", "VIII", "VII", "VI", "V", "III", "II", "I"],
    ] {
        take(&mut rest, &group);
    }
    !id.is_empty() && rest.is_empty()
}

/// EML_NL's `ReportingUnitIdentifier` id: `HSB<n>`, `[HSB<n>::]dddd`, `[[HSB<n>::]dddd::]SB<n>`
/// or `HSB<n>::SB<n>`.
fn unit_id_ok(id: &str) -> bool {
    let parts: Vec<&str> = id.split("::").collect();
    let hsb = |s: &str| prefixed(s, "HSB");
    let sb = |s: &str| prefixed(s, "SB");
    let muni = |s: &str| s.len() == 4 && digits(s);
    match parts.as_slice() {
        [a] => hsb(a) || muni(a) || sb(a),
        [a, b] => (hsb(a) && muni(b)) || (muni(a) && sb(b)) || (hsb(a) && sb(b)),
        [a, b, c] => hsb(a) && muni(b) && sb(c),
        _ => false,
    }
}

/// EML_NL's authority id: `CSB`, `HSB<n>`, `SB<n>` or four digits.
fn authority_id_ok(id: &str) -> bool {
    id == "CSB" || prefixed(id, "HSB") || prefixed(id, "SB") || (id.len() == 4 && digits(id))
}

/// Ids of one kind: those that already fit claimed first, then numbers for the rest.
struct Numbering {
    used: HashSet<String>,
    next: u64,
}

impl Numbering {
    fn new<'a>(kept: impl Iterator<Item = &'a str>) -> Numbering {
        Numbering {
            used: kept.map(str::to_string).collect(),
            next: 1,
        }
    }

    /// The next number (with `prefix`) not already used.
    fn fresh(&mut self, prefix: &str) -> String {
        loop {
            let id = format!("{prefix}{}", self.next);
            self.next += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// The election's EML_NL identification: id and category.
fn election_ids(def: &ValidDefinition) -> (String, &'static str) {
    let d = def.definition();
    let upper = d.id.to_ascii_uppercase();
    let category = CATEGORIES
        .iter()
        .find(|c| upper.starts_with(**c))
        .copied()
        .unwrap_or("GR");
    // Skytale's election ids are lower-case: `gr2026_assen` is EML_NL's `GR2026_assen`.
    let upper_prefix = format!(
        "{}{}",
        upper.get(..2).unwrap_or(""),
        d.id.get(2..).unwrap_or("")
    );
    if election_id_ok(&upper_prefix) {
        return (upper_prefix, category);
    }
    let date: String = d.date.chars().filter(char::is_ascii_digit).collect();
    let date = if date.len() == 8 && date.starts_with('2') {
        date
    } else {
        "20000101".to_string()
    };
    let slug: String =
        d.id.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
    (format!("{category}{date}_{slug}"), category)
}

/// A list as written: its id, its name, and its members as (selection index, candidate id).
type List = (String, String, Vec<(usize, String)>);

/// How one definition selection is written: a list (affiliation) or a candidate of a list.
struct Written {
    /// (list id, list name, candidates as (selection index, candidate id)) in writing order,
    /// or, for a ballot measure, one "list" per option.
    lists: Vec<List>,
    /// Party-list contests: list id per selection, no candidates.
    party_list: bool,
    measure: bool,
}

fn written(def: &ValidDefinition, ci: usize) -> Written {
    let c = &def.contests()[ci];
    let lang = &def.definition().default_language;
    let party_name = |p: Option<&str>| {
        p.and_then(|p| def.definition().parties.iter().find(|x| x.id == p))
            .map(|p| def.text(&p.name, lang).to_string())
            .unwrap_or_default()
    };
    match c.kind {
        ContestKind::BallotMeasure => Written {
            lists: c
                .selections
                .iter()
                .enumerate()
                .map(|(s, sel)| {
                    (
                        sel.id.clone(),
                        def.text(&sel.name, lang).to_string(),
                        vec![(s, String::new())],
                    )
                })
                .collect(),
            party_list: false,
            measure: true,
        },
        ContestKind::PartyList => {
            let mut n = Numbering::new(
                c.selections
                    .iter()
                    .map(|s| s.id.as_str())
                    .filter(|i| positive(i)),
            );
            let lists = c
                .selections
                .iter()
                .enumerate()
                .map(|(s, sel)| {
                    let id = if positive(&sel.id) {
                        sel.id.clone()
                    } else {
                        n.fresh("")
                    };
                    (
                        id,
                        def.text(&sel.name, lang).to_string(),
                        vec![(s, String::new())],
                    )
                })
                .collect();
            Written {
                lists,
                party_list: true,
                measure: false,
            }
        }
        _ => {
            // Candidates `<list>.<candidate>` keep both numbers; the others go to the list of
            // their party (numbered after the kept ones), or one list for those without one.
            let split = |id: &str| {
                id.split_once('.')
                    .filter(|(l, k)| positive(l) && positive(k))
                    .map(|(l, k)| (l.to_string(), k.to_string()))
            };
            let mut lists: Vec<List> = Vec::new();
            let mut list_of_party: BTreeMap<Option<&str>, usize> = BTreeMap::new();
            let mut numbers = Numbering::new(std::iter::empty());
            for sel in &c.selections {
                if let Some((l, _)) = split(&sel.id) {
                    numbers.used.insert(l);
                }
            }
            let mut kept: BTreeMap<String, usize> = BTreeMap::new();
            for (s, sel) in c.selections.iter().enumerate() {
                let at = match split(&sel.id) {
                    Some((l, k)) => {
                        let at = *kept.entry(l.clone()).or_insert_with(|| {
                            lists.push((l, party_name(sel.party.as_deref()), Vec::new()));
                            lists.len() - 1
                        });
                        lists[at].2.push((s, k));
                        continue;
                    }
                    None => *list_of_party
                        .entry(sel.party.as_deref())
                        .or_insert_with(|| {
                            lists.push((
                                numbers.fresh(""),
                                party_name(sel.party.as_deref()),
                                Vec::new(),
                            ));
                            lists.len() - 1
                        }),
                };
                let k = (lists[at].2.len() + 1).to_string();
                lists[at].2.push((s, k));
            }
            Written {
                lists,
                party_list: false,
                measure: false,
            }
        }
    }
}

/// The contests written (every one with counts per unit: not ranked-choice), each with its
/// EML_NL contest id.
fn contest_ids(def: &ValidDefinition) -> Vec<(usize, String)> {
    let keep = |c: &skytale_model::Contest| c.kind != ContestKind::RankedChoice;
    let contests = def.contests();
    let mut n = Numbering::new(
        contests
            .iter()
            .filter(|c| keep(c) && contest_id_ok(&c.id))
            .map(|c| c.id.as_str()),
    );
    contests
        .iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(ci, c)| {
            let id = if contest_id_ok(&c.id) {
                c.id.clone()
            } else {
                n.fresh("")
            };
            (ci, id)
        })
        .collect()
}

/// Each unit's EML_NL reporting-unit id (ids that fit kept, others `SB<n>`).
fn unit_ids(def: &ValidDefinition) -> Vec<String> {
    let units = def.units();
    let mut n = Numbering::new(
        units
            .iter()
            .map(|u| u.id.as_str())
            .filter(|i| unit_id_ok(i)),
    );
    units
        .iter()
        .map(|u| {
            if unit_id_ok(&u.id) {
                u.id.clone()
            } else {
                n.fresh("SB")
            }
        })
        .collect()
}

/// The document's head up to `<Count>`/`<Result>`'s `ElectionIdentifier` (open).
fn head(out: &mut String, doc_id: &str, def: &ValidDefinition, pos: &LogPosition) {
    let d = def.definition();
    let lang = &d.default_language;
    let root = &def.units()[def.root()];
    let authority = if authority_id_ok(&root.id) {
        root.id.as_str()
    } else {
        "CSB"
    };
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EML xmlns=\"{EML_NAMESPACE}\" xmlns:kr=\"{KR_NAMESPACE}\" xmlns:xnl=\"{XNL_NAMESPACE}\" Id=\"{doc_id}\" SchemaVersion=\"5\">\n"
    );
    let _ = writeln!(out, "  <TransactionId>{}</TransactionId>", pos.tree_size);
    let _ = write!(
        out,
        "  <ManagingAuthority>\n    <AuthorityIdentifier Id=\"{}\">{}</AuthorityIdentifier>\n    <AuthorityAddress/>\n  </ManagingAuthority>\n",
        esc(authority),
        esc(def.text(&root.name, lang))
    );
    let _ = writeln!(
        out,
        "  <kr:CreationDateTime>{}</kr:CreationDateTime>",
        super::generated_date(pos.published_at.as_deref())
    );
}

fn election_identifier(out: &mut String, def: &ValidDefinition, indent: &str) {
    let d = def.definition();
    let (id, category) = election_ids(def);
    let _ = write!(
        out,
        "{indent}<ElectionIdentifier Id=\"{}\">\n{indent}  <ElectionName>{}</ElectionName>\n{indent}  <ElectionCategory>{category}</ElectionCategory>\n{indent}  <kr:ElectionDate>{}</kr:ElectionDate>\n{indent}</ElectionIdentifier>\n",
        esc(&id),
        esc(def.text(&d.name, &d.default_language)),
        esc(&d.date),
    );
}

/// A candidate's full name as an xNL person name (the whole name as the last name: the
/// definition does not split names).
fn full_name(out: &mut String, name: &str, pad: &str) {
    let _ = write!(
        out,
        "{pad}<CandidateFullName>\n{pad}  <xnl:PersonName>\n{pad}    <xnl:LastName>{}</xnl:LastName>\n{pad}  </xnl:PersonName>\n{pad}</CandidateFullName>\n",
        esc(name)
    );
}

/// The figures of one block (the total or a unit).
struct Block<'a> {
    votes: &'a [u64],
    registered: u64,
    ballots: u64,
    blank: u64,
    invalid: u64,
}

fn selections(
    out: &mut String,
    def: &ValidDefinition,
    ci: usize,
    w: &Written,
    b: &Block,
    pad: &str,
) {
    let c = &def.contests()[ci];
    let lang = &def.definition().default_language;
    for (list, name, members) in &w.lists {
        if w.measure {
            let (s, _) = members[0];
            let _ = write!(
                out,
                "{pad}<Selection>\n{pad}  <ReferendumOptionIdentifier Id=\"{}\">{}</ReferendumOptionIdentifier>\n{pad}  <ValidVotes>{}</ValidVotes>\n{pad}</Selection>\n",
                esc(list),
                esc(name),
                b.votes[s]
            );
            continue;
        }
        let sum: u64 = members.iter().map(|(s, _)| b.votes[*s]).sum();
        let _ = write!(
            out,
            "{pad}<Selection>\n{pad}  <AffiliationIdentifier Id=\"{list}\">\n{pad}    <RegisteredName>{}</RegisteredName>\n{pad}  </AffiliationIdentifier>\n{pad}  <ValidVotes>{sum}</ValidVotes>\n{pad}</Selection>\n",
            esc(name)
        );
        if w.party_list {
            continue;
        }
        for (s, k) in members {
            let _ = write!(out, "{pad}<Selection>\n{pad}  <Candidate>\n{pad}    <CandidateIdentifier Id=\"{k}\"/>\n");
            full_name(
                out,
                def.text(&c.selections[*s].name, lang),
                &format!("{pad}    "),
            );
            let _ = write!(
                out,
                "{pad}  </Candidate>\n{pad}  <ValidVotes>{}</ValidVotes>\n{pad}</Selection>\n",
                b.votes[*s]
            );
        }
    }
    let valid: u64 = b.votes.iter().sum();
    let _ = write!(
        out,
        "{pad}<Cast>{}</Cast>\n{pad}<TotalCounted>{valid}</TotalCounted>\n{pad}<RejectedVotes ReasonCode=\"ongeldig\">{}</RejectedVotes>\n{pad}<RejectedVotes ReasonCode=\"blanco\">{}</RejectedVotes>\n",
        b.registered, b.invalid, b.blank
    );
    if b.ballots > 0 {
        let _ = writeln!(
            out,
            "{pad}<UncountedVotes ReasonCode=\"toegelaten kiezers\">{}</UncountedVotes>",
            b.ballots
        );
    }
}

/// EML 510 (`510d`): the count of every contest with counts, per reporting unit (see the
/// module doc).
pub fn eml_510(tally: &Tally, pos: &LogPosition) -> Vec<u8> {
    let def = tally.definition();
    let lang = &def.definition().default_language;
    let uids = unit_ids(def);
    let mut out = String::new();
    head(&mut out, "510d", def, pos);
    out.push_str("  <Count>\n    <EventIdentifier/>\n    <Election>\n");
    election_identifier(&mut out, def, "      ");
    out.push_str("      <Contests>\n");
    for (ci, cid) in contest_ids(def) {
        let w = written(def, ci);
        let Some(total) = tally.contest_head(ci) else {
            continue;
        };
        let name = def.text(&def.contests()[ci].name, lang);
        contest_identifier(&mut out, &cid, name, "        ");
        let counted = tally.counted_units(ci);
        // Nothing reported: no figures at all, not a total of zeros (which an importer would
        // take for a report).
        if counted.is_empty() {
            out.push_str("        </Contest>\n");
            continue;
        }
        out.push_str("          <TotalVotes>\n");
        let votes: Vec<u64> = total.selections.iter().map(|s| s.votes).collect();
        let block = Block {
            votes: &votes,
            registered: total.registered,
            ballots: total.ballots,
            blank: total.blank,
            invalid: total.invalid,
        };
        selections(&mut out, def, ci, &w, &block, "            ");
        out.push_str("          </TotalVotes>\n");
        // The election's own root reported for the whole contest: its figures are the total,
        // which an importer takes for the authority's (the root's) report; a reporting unit
        // for it would be a unit below itself.
        if counted == [def.root()] {
            out.push_str("        </Contest>\n");
            continue;
        }
        for u in counted {
            let f = tally.unit_figures(ci, u);
            let block = Block {
                votes: &f.votes,
                registered: f.registered,
                ballots: f.ballots,
                blank: f.blank,
                invalid: f.invalid,
            };
            let _ = write!(
                out,
                "          <ReportingUnitVotes>\n            <ReportingUnitIdentifier Id=\"{}\">{}</ReportingUnitIdentifier>\n",
                esc(&uids[u]),
                esc(def.text(&def.units()[u].name, lang))
            );
            selections(&mut out, def, ci, &w, &block, "            ");
            out.push_str("          </ReportingUnitVotes>\n");
        }
        out.push_str("        </Contest>\n");
    }
    out.push_str("      </Contests>\n    </Election>\n  </Count>\n</EML>\n");
    out.into_bytes()
}

/// EML 520: the lists of every party-list contest whose seats the tally has allocated, each
/// with its votes and whether it won a seat (see the module doc).
pub fn eml_520(tally: &Tally, pos: &LogPosition) -> Vec<u8> {
    let def = tally.definition();
    let lang = &def.definition().default_language;
    let mut out = String::new();
    head(&mut out, "520", def, pos);
    out.push_str("  <Result>\n    <Election>\n");
    election_identifier(&mut out, def, "      ");
    for (ci, cid) in contest_ids(def) {
        let c = &def.contests()[ci];
        let Some(total) = tally.contest_head(ci) else {
            continue;
        };
        let (ContestKind::PartyList, Some(seats)) = (c.kind, total.seats.as_ref()) else {
            continue;
        };
        let w = written(def, ci);
        contest_identifier(&mut out, &cid, def.text(&c.name, lang), "      ");
        let pad = "        ";
        for (list, name, members) in &w.lists {
            let (s, _) = members[0];
            let won = seats.get(&c.selections[s].id).copied().unwrap_or(0);
            let _ = write!(
                out,
                "{pad}<Selection>\n{pad}  <AffiliationIdentifier Id=\"{list}\">\n{pad}    <RegisteredName>{}</RegisteredName>\n{pad}  </AffiliationIdentifier>\n{pad}  <Votes>{}</Votes>\n{pad}  <Elected>{}</Elected>\n{pad}</Selection>\n",
                esc(name),
                total.selections[s].votes,
                if won > 0 { "yes" } else { "no" }
            );
        }
        out.push_str("      </Contest>\n");
    }
    out.push_str("    </Election>\n  </Result>\n</EML>\n");
    out.into_bytes()
}

/// `<Contest>` opened, with its identifier and name (so an importer resolves a contest whose
/// id had to be numbered by its name).
fn contest_identifier(out: &mut String, id: &str, name: &str, pad: &str) {
    let _ = write!(
        out,
        "{pad}<Contest>\n{pad}  <ContestIdentifier Id=\"{}\">\n{pad}    <ContestName>{}</ContestName>\n{pad}  </ContestIdentifier>\n",
        esc(id),
        esc(name)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_patterns() {
        for ok in ["GR2022", "TK2025_Haarlem", "GR20220316_x-y", "PS2027"] {
            assert!(election_id_ok(ok), "{ok}");
        }
        for bad in ["gr-2027", "GR22", "GR2022-03", "XX2022", "GR1999"] {
            assert!(!election_id_ok(bad), "{bad}");
        }
        for ok in ["geen", "alle", "1", "20", "IV", "XIX", "MMXXVI"] {
            assert!(contest_id_ok(ok), "{ok}");
        }
        for bad in ["0", "01", "mayor", "IIII", "", "VX"] {
            assert!(!contest_id_ok(bad), "{bad}");
        }
        for ok in [
            "HSB1",
            "0014",
            "HSB1::0014",
            "SB3",
            "0014::SB3",
            "HSB2::0014::SB3",
            "HSB2::SB3",
        ] {
            assert!(unit_id_ok(ok), "{ok}");
        }
        for bad in ["", "HSB", "SB", "014", "0014::", "x::SB1", "0014::SB1::SB2"] {
            assert!(!unit_id_ok(bad), "{bad}");
        }
        assert!(authority_id_ok("CSB") && authority_id_ok("0518") && authority_id_ok("HSB3"));
        assert!(!authority_id_ok("nl") && !authority_id_ok("12345"));
    }

    #[test]
    fn numbering_skips_kept_ids() {
        let mut n = Numbering::new(["1", "3"].into_iter());
        assert_eq!(n.fresh(""), "2");
        assert_eq!(n.fresh(""), "4");
        let mut n = Numbering::new(["SB1"].into_iter());
        assert_eq!(n.fresh("SB"), "SB2");
    }
}
