//! The mapping table: source names → definition ids, count-type names and CSV column layouts.
//!
//! Officials write it as TOML next to their export when the export's names differ from the
//! definition (the importers never guess beyond the rules of `norm`). Every section is
//! optional; keys are compared case- and white-space-insensitively.
//!
//! ```toml
//! origin = "https://results.example.org/ga-2020"   # the log's public origin (derived
//!                                                  #   definitions; `https://` is dropped)
//! [contests]            # source contest name (office, or "office, District n") -> contest id
//! "Governor/Gobernador" = "governor"
//! [selections]          # "contest-id/source name" or "source name" -> selection id
//! "us-senate/Raphael Warnock (I) (Dem)" = "raphael-warnock"
//! [units]               # "parent name/unit name" or "unit name" -> unit id
//! "Fulton/HARBINS A" = "fulton.harbins-a"
//! [parties]             # source party code -> party id
//! "L" = "lib"
//! [party_names]         # source party code -> name (derived definitions; beside the built-in
//! "Y" = "Yes Party"     #   table of DEM, REP, LIB, GRN, IND, NP…)
//! [party_colors]        # source party code -> display colour #rrggbb (derived definitions)
//! "Y" = "#1b9e77"
//! [count_types]         # vote type or column name -> election_day | early | mail | provisional | total
//! "Federal" = "mail"
//!
//! [csv]                 # other CSV layouts: which header holds what
//! encoding = "latin1"   # or "utf-8" (default)
//! county = "County"     # optional; without county and precinct every row is the root unit
//! precinct = "Precinct Code"
//! # or, for any number of levels, outermost first (instead of county and precinct):
//! # geography = ["County", "Municipality", "Ward", "Precinct"]
//! office = "Contest Title"
//! district = "District"
//! party = "Party"
//! candidate = "Choice Name"
//! votes = "Total Votes"
//! count_columns = { "Election Day" = "election_day", "Mail" = "mail" }
//! overvotes = "Total Overvotes"   # per-row contest figures (repeated on each row of a contest)
//! undervotes = "Total Undervotes"
//! ignore_offices = ["Registered Voters"]
//! ignore_candidates = ["Total Votes Cast"]
//! ```
//!
//! Without a `[csv]` section the OpenElections columns are found by name, the geography among
//! them (`state`, `county`, `town`/`municipality`/`township`/`city`, `ward`, `precinct`; see
//! `geography`). A row's unit is the path through its geography cells, outermost first, and a
//! blank cell skips its level. `district` qualifies the office there; a layout that lists it in
//! `geography` makes it a level of the geography instead (and may not name it `district` too).

use std::collections::BTreeMap;

use serde::Deserialize;
use skytale_model::CountType;

use crate::error::{FormatError, Location};
use crate::norm::norm_key;

/// Name mapping table (source name → definition id) for contests, selections, units, parties,
/// plus count-type names and the column layout of non-OpenElections CSV files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    pub(crate) contests: BTreeMap<String, String>,
    pub(crate) selections: BTreeMap<String, String>,
    pub(crate) units: BTreeMap<String, String>,
    pub(crate) parties: BTreeMap<String, String>,
    pub(crate) count_types: BTreeMap<String, CountType>,
    pub(crate) csv: Option<CsvLayout>,
    pub(crate) party_names: BTreeMap<String, String>,
    pub(crate) party_colors: BTreeMap<String, String>,
    pub(crate) origin: Option<String>,
}

/// Which CSV header holds what (all names as written in the header row).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvLayout {
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub county: Option<String>,
    #[serde(default)]
    pub precinct: Option<String>,
    /// The geography columns, outermost first: replaces `county` and `precinct` for layouts
    /// with other or more levels (town, ward, …).
    #[serde(default)]
    pub geography: Option<Vec<String>>,
    pub office: String,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub party: Option<String>,
    pub candidate: String,
    #[serde(default)]
    pub votes: Option<String>,
    #[serde(default)]
    pub count_columns: BTreeMap<String, CountType>,
    #[serde(default)]
    pub overvotes: Option<String>,
    #[serde(default)]
    pub undervotes: Option<String>,
    #[serde(default)]
    pub ignore_offices: Vec<String>,
    #[serde(default)]
    pub ignore_candidates: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    contests: BTreeMap<String, String>,
    #[serde(default)]
    selections: BTreeMap<String, String>,
    #[serde(default)]
    units: BTreeMap<String, String>,
    #[serde(default)]
    parties: BTreeMap<String, String>,
    #[serde(default)]
    count_types: BTreeMap<String, CountType>,
    #[serde(default)]
    csv: Option<CsvLayout>,
    #[serde(default)]
    party_names: BTreeMap<String, String>,
    #[serde(default)]
    party_colors: BTreeMap<String, String>,
    #[serde(default)]
    origin: Option<String>,
}

/// The line of the first occurrence of `needle` in `text` (for errors in checked values).
fn line_of(text: &str, needle: &str) -> Location {
    let mut at = Location::default();
    if let Some(p) = text.find(needle) {
        at.line = Some(text[..p].matches('\n').count() as u64 + 1);
    }
    at
}

/// The log origin `HOST/PATH` of a mapping's `origin`: `https://` and a trailing `/` dropped,
/// any other scheme refused (the verification page puts `https://` before the host).
fn parse_origin(origin: &str, text: &str) -> Result<String, FormatError> {
    let o = origin.trim();
    let o = o
        .strip_prefix("https://")
        .unwrap_or(o)
        .trim_end_matches('/');
    if o.is_empty() || o.contains("://") || o.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FormatError::invalid(
            line_of(text, "origin").field("origin"),
            format!("mapping table: origin {origin:?} is not an https:// address or HOST/PATH"),
        ));
    }
    Ok(o.to_string())
}

impl Mapping {
    /// Parses a mapping table written in TOML (format in the module docs).
    pub fn from_toml(text: &str) -> Result<Mapping, FormatError> {
        let f: MappingFile = toml::from_str(text).map_err(|e| {
            let mut at = Location::default();
            if let Some(span) = e.span() {
                let before = &text[..span.start.min(text.len())];
                at.line = Some(before.matches('\n').count() as u64 + 1);
                at.column = Some(
                    (before.len() - before.rfind('\n').map(|p| p + 1).unwrap_or(0)) as u64 + 1,
                );
            }
            FormatError::syntax(at, format!("mapping table: {}", e.message()))
        })?;
        let norm =
            |m: BTreeMap<String, String>| m.into_iter().map(|(k, v)| (norm_key(&k), v)).collect();
        Ok(Mapping {
            contests: norm(f.contests),
            selections: norm(f.selections),
            units: norm(f.units),
            parties: norm(f.parties),
            count_types: f
                .count_types
                .into_iter()
                .map(|(k, v)| (norm_key(&k), v))
                .collect(),
            csv: f.csv.map(check_layout).transpose()?,
            party_names: norm(f.party_names),
            party_colors: f
                .party_colors
                .into_iter()
                .map(|(k, v)| {
                    if crate::party::valid_color(&v) {
                        Ok((norm_key(&k), v.to_ascii_lowercase()))
                    } else {
                        Err(FormatError::invalid(
                            line_of(text, &v).field(format!("party_colors.{k}")),
                            format!("mapping table: colour {v:?} of party {k:?} is not #rrggbb"),
                        ))
                    }
                })
                .collect::<Result<_, _>>()?,
            origin: f.origin.map(|o| parse_origin(&o, text)).transpose()?,
        })
    }

    pub(crate) fn contest(&self, name: &str) -> Option<&str> {
        self.contests.get(&norm_key(name)).map(String::as_str)
    }
    pub(crate) fn selection(&self, contest_id: &str, name: &str) -> Option<&str> {
        self.selections
            .get(&norm_key(&format!("{contest_id}/{name}")))
            .or_else(|| self.selections.get(&norm_key(name)))
            .map(String::as_str)
    }
    pub(crate) fn unit(&self, parent_name: Option<&str>, name: &str) -> Option<&str> {
        parent_name
            .and_then(|p| self.units.get(&norm_key(&format!("{p}/{name}"))))
            .or_else(|| self.units.get(&norm_key(name)))
            .map(String::as_str)
    }
    pub(crate) fn party(&self, code: &str) -> Option<&str> {
        self.parties.get(&norm_key(code)).map(String::as_str)
    }
    /// The name the mapping gives party code `code`.
    pub(crate) fn party_name(&self, code: &str) -> Option<&str> {
        self.party_names.get(&norm_key(code)).map(String::as_str)
    }
    /// The colour the mapping gives party code `code`.
    pub(crate) fn party_color(&self, code: &str) -> Option<&str> {
        self.party_colors.get(&norm_key(code)).map(String::as_str)
    }
    /// The election's public origin (`HOST/PATH`), for derived definitions.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }
    pub(crate) fn count_type(&self, name: &str) -> Option<CountType> {
        self.count_types.get(&norm_key(name)).copied()
    }
    /// The CSV column layout, if the table has one.
    pub fn csv_layout(&self) -> Option<&CsvLayout> {
        self.csv.as_ref()
    }
}

/// Refuses a `[csv]` section whose geography is ambiguous: `geography` beside `county` or
/// `precinct`, a column named twice in it, or a geography column that is also a name or
/// figure column (`district` is either the office's qualifier or a level, not both).
fn check_layout(l: CsvLayout) -> Result<CsvLayout, FormatError> {
    let Some(geo) = &l.geography else {
        return Ok(l);
    };
    let bad = |why: String| {
        Err(FormatError::invalid(
            Location::at_field("csv.geography"),
            why,
        ))
    };
    if l.county.is_some() || l.precinct.is_some() {
        return bad("the [csv] section names both geography and county/precinct; list every geography column in geography alone".into());
    }
    let mut other: Vec<(&str, &str)> = vec![("office", &l.office), ("candidate", &l.candidate)];
    for (field, col) in [
        ("district", &l.district),
        ("party", &l.party),
        ("votes", &l.votes),
        ("overvotes", &l.overvotes),
        ("undervotes", &l.undervotes),
    ] {
        if let Some(c) = col {
            other.push((field, c));
        }
    }
    other.extend(
        l.count_columns
            .keys()
            .map(|c| ("count_columns", c.as_str())),
    );
    let mut seen: Vec<String> = Vec::new();
    for g in geo {
        let k = norm_key(g);
        if seen.contains(&k) {
            return bad(format!("geography names the column {g:?} twice"));
        }
        if let Some((field, _)) = other.iter().find(|(_, c)| norm_key(c) == k) {
            return bad(format!(
                "the column {g:?} is both a geography level and the layout's {field}"
            ));
        }
        seen.push(k);
    }
    Ok(l)
}

/// The built-in vote-type names (Clarity `VoteType@name`, CSV column headers), normalised:
/// lower case, `_` as space, a trailing " votes" removed.
pub(crate) fn builtin_count_type(name: &str) -> Option<CountType> {
    let k = norm_key(&name.replace('_', " "));
    let k = k.strip_suffix(" votes").unwrap_or(&k);
    Some(match k {
        "election day" | "electionday" | "election day voting" | "polls" => CountType::ElectionDay,
        "advance voting" | "advanced voting" | "advanced" | "advance" | "early" | "early vote"
        | "early voting" | "in person absentee" | "absentee in person" => CountType::Early,
        "absentee by mail" | "absentee" | "mail" | "mail in" | "by mail" | "mail ballots" => {
            CountType::Mail
        }
        "provisional" | "provisionals" => CountType::Provisional,
        // A single vote type that is the whole count (Kentucky's Clarity files call it "Election").
        "election" | "total" => CountType::Total,
        _ => return None,
    })
}

/// Names the built-in table knows, for error messages.
pub(crate) const BUILTIN_COUNT_TYPE_NAMES: &[&str] = &[
    "Election Day",
    "Advance Voting",
    "Early Vote",
    "Absentee by Mail",
    "Absentee",
    "Mail",
    "Provisional",
    "Election",
    "Total",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_toml() {
        let m = Mapping::from_toml(
            "[contests]\n\"Governor/Gobernador\" = \"governor\"\n[count_types]\nFederal = \"mail\"\n\
             [csv]\noffice = \"Contest Title\"\ncandidate = \"Choice Name\"\ncount_columns = { \"ED\" = \"election_day\" }\n",
        )
        .unwrap();
        assert_eq!(m.contest("governor/gobernador"), Some("governor"));
        assert_eq!(m.count_type("FEDERAL"), Some(CountType::Mail));
        assert_eq!(m.csv_layout().unwrap().candidate, "Choice Name");
        let e = Mapping::from_toml("[contests]\nx = 3\n").unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(2));
        assert!(Mapping::from_toml("[nonsense]\n").is_err());
    }

    #[test]
    fn geography_is_listed_alone_and_once() {
        let base = "[csv]\noffice = \"Race\"\ncandidate = \"Choice\"\n";
        let m = Mapping::from_toml(&format!(
            "{base}geography = [\"County\", \"Municipality\", \"Ward\", \"Precinct\"]\n"
        ))
        .unwrap();
        assert_eq!(
            m.csv_layout()
                .unwrap()
                .geography
                .as_deref()
                .map(<[String]>::len),
            Some(4)
        );
        for (extra, why) in [
            ("geography = [\"A\"]\ncounty = \"C\"\n", "county/precinct"),
            ("geography = [\"Ward\", \"ward \"]\n", "twice"),
            ("geography = [\"race\"]\n", "office"),
            ("geography = [\"D\"]\ndistrict = \"D\"\n", "district"),
            (
                "geography = [\"ED\"]\ncount_columns = { ED = \"election_day\" }\n",
                "count_columns",
            ),
        ] {
            let e = Mapping::from_toml(&format!("{base}{extra}")).unwrap_err();
            assert!(e.to_string().contains(why), "{extra}: {e}");
            assert_eq!(
                e.location().unwrap().field.as_deref(),
                Some("csv.geography")
            );
        }
    }

    #[test]
    fn party_sections_and_origin() {
        let m = Mapping::from_toml(
            "origin = \"https://results.example.org/ga-2020/\"\n[party_names]\nY = \"Yes Party\"\n[party_colors]\nY = \"#1B9E77\"\n",
        )
        .unwrap();
        assert_eq!(m.party_name("y"), Some("Yes Party"));
        assert_eq!(m.party_color(" Y "), Some("#1b9e77"));
        assert_eq!(m.origin(), Some("results.example.org/ga-2020"));
        let e = Mapping::from_toml("[party_colors]\nY = \"blue\"\n").unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(2));
        assert!(e.to_string().contains("#rrggbb"), "{e}");
        assert!(Mapping::from_toml("origin = \"ftp://x/y\"\n").is_err());
        assert!(Mapping::from_toml("origin = \"a b\"\n").is_err());
    }

    #[test]
    fn builtin_types() {
        assert_eq!(
            builtin_count_type("advance_voting_votes"),
            Some(CountType::Early)
        );
        assert_eq!(
            builtin_count_type("Absentee by Mail Votes"),
            Some(CountType::Mail)
        );
        assert_eq!(
            builtin_count_type("Election Day Votes"),
            Some(CountType::ElectionDay)
        );
        assert_eq!(builtin_count_type("Election"), Some(CountType::Total));
        assert_eq!(builtin_count_type("federal"), None);
    }
}
