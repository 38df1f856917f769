//! Open Civic Data division identifiers (OCD-IDs) of a definition's units, for feeds that key
//! geography by them (Google's profile of the CDF export, [`crate::export::cdf_xml_google`]).
//!
//! A unit's OCD-ID is the one its definition states (`ocd_id`, shape checked by the model).
//! Otherwise one is derived, for U.S. states and counties only, from the unit's name and level
//! and only where that is unambiguous: a unit of level `state` named by a state's name or postal
//! code (`Georgia`, `GA`); a unit of level `county` (or `parish`) under such a state, or, when no
//! unit above it names its state, in the one state of the table that has a county of every such
//! name of the definition (a county file of Atkinson, Georgia: only Georgia has an Atkinson
//! County). A derived id must be in the table (`testdata/ocd/us-states-counties.csv`, CC0, from
//! the Open Civic Data project; compiled in), so a name that merely looks right is not enough;
//! an id two units would get is given to neither. Everything else has none: no guess is better
//! than a wrong division in a feed that others match on.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use skytale_model::ValidDefinition;

/// The OCD-ID table: `id,name`, a header line first.
const TABLE: &str = include_str!("../../../testdata/ocd/us-states-counties.csv");

/// The country every id of the table is in.
const US: &str = "ocd-division/country:us";

/// The U.S. states, the District of Columbia and the territories, by postal code and name, for
/// reading a unit's name as a state (the table's names of states are the postal codes).
const STATES: &[(&str, &str)] = &[
    ("al", "alabama"),
    ("ak", "alaska"),
    ("az", "arizona"),
    ("ar", "arkansas"),
    ("ca", "california"),
    ("co", "colorado"),
    ("ct", "connecticut"),
    ("de", "delaware"),
    ("dc", "district of columbia"),
    ("fl", "florida"),
    ("ga", "georgia"),
    ("hi", "hawaii"),
    ("id", "idaho"),
    ("il", "illinois"),
    ("in", "indiana"),
    ("ia", "iowa"),
    ("ks", "kansas"),
    ("ky", "kentucky"),
    ("la", "louisiana"),
    ("me", "maine"),
    ("md", "maryland"),
    ("ma", "massachusetts"),
    ("mi", "michigan"),
    ("mn", "minnesota"),
    ("ms", "mississippi"),
    ("mo", "missouri"),
    ("mt", "montana"),
    ("ne", "nebraska"),
    ("nv", "nevada"),
    ("nh", "new hampshire"),
    ("nj", "new jersey"),
    ("nm", "new mexico"),
    ("ny", "new york"),
    ("nc", "north carolina"),
    ("nd", "north dakota"),
    ("oh", "ohio"),
    ("ok", "oklahoma"),
    ("or", "oregon"),
    ("pa", "pennsylvania"),
    ("ri", "rhode island"),
    ("sc", "south carolina"),
    ("sd", "south dakota"),
    ("tn", "tennessee"),
    ("tx", "texas"),
    ("ut", "utah"),
    ("vt", "vermont"),
    ("va", "virginia"),
    ("wa", "washington"),
    ("wv", "west virginia"),
    ("wi", "wisconsin"),
    ("wy", "wyoming"),
    ("as", "american samoa"),
    ("gu", "guam"),
    ("mp", "northern mariana islands"),
    ("pr", "puerto rico"),
    ("vi", "united states virgin islands"),
];

/// The table: id → name, and per state the county ids by their last part.
struct Table {
    names: HashMap<&'static str, &'static str>,
    counties: HashMap<&'static str, HashSet<&'static str>>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut names = HashMap::new();
        let mut counties: HashMap<&str, HashSet<&str>> = HashMap::new();
        for line in TABLE.lines().skip(1) {
            let (id, name) = line.split_once(',').unwrap_or((line, ""));
            let id = id.trim();
            if id.is_empty() {
                continue;
            }
            names.insert(id, name.trim());
            if let Some((state, county)) = id.split_once("/county:") {
                counties.entry(state).or_default().insert(county);
            }
        }
        Table { names, counties }
    })
}

/// The name the table gives an OCD-ID, if it lists it.
pub fn table_name(id: &str) -> Option<&'static str> {
    table().names.get(id).copied()
}

/// Whether the table lists `id`.
pub fn is_known(id: &str) -> bool {
    table().names.contains_key(id)
}

/// A name as OCD writes a division's last part: lower case, `.` and `'` dropped, spaces and
/// other separators as `_` (`St. Francis` → `st_francis`, `Ben Hill` → `ben_hill`).
fn ocd_part(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' | '-' => out.push(c),
            '.' | '\'' | '’' => {}
            _ => {
                if !out.ends_with('_') && !out.is_empty() {
                    out.push('_');
                }
            }
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The county part of a county unit's name: `Fulton County` and `Fulton` are both `fulton`.
fn county_part(name: &str) -> String {
    let p = ocd_part(name);
    for suffix in ["_county", "_parish"] {
        if let Some(s) = p.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    p
}

/// The state a name says (`Georgia`, `GA`, `State of Georgia`), as its OCD-ID if the table has it.
fn state_id(name: &str) -> Option<String> {
    let n = name.trim().to_lowercase();
    let n = n.strip_prefix("state of ").unwrap_or(&n).trim();
    let code = STATES
        .iter()
        .find(|(code, full)| *code == n || *full == n)
        .map(|(code, _)| *code)?;
    let id = format!("{US}/state:{code}");
    is_known(&id).then_some(id)
}

/// The OCD-ID of a state and everything in it (`…/state:ga/county:x` → `…/state:ga`).
fn state_prefix(id: &str) -> Option<&str> {
    let rest = id.strip_prefix(US)?.strip_prefix("/state:")?;
    let end = rest
        .find('/')
        .map_or(id.len(), |k| US.len() + "/state:".len() + k);
    Some(&id[..end])
}

fn is_level(level: Option<&str>, names: &[&str]) -> bool {
    level.is_some_and(|l| names.iter().any(|n| l.eq_ignore_ascii_case(n)))
}

/// The names of a unit to try, in every language of the definition.
fn unit_names(def: &ValidDefinition, i: usize) -> impl Iterator<Item = &str> {
    def.definition().units[i].name.values().map(String::as_str)
}

/// Every unit's OCD-ID (by unit index): the stated one, else a derived one, else none.
pub fn unit_ocd_ids(def: &ValidDefinition) -> Vec<Option<String>> {
    let d = def.definition();
    let n = d.units.len();
    let mut ids: Vec<Option<String>> = d.units.iter().map(|u| u.ocd_id.clone()).collect();
    let stated: HashSet<String> = ids.iter().flatten().cloned().collect();
    let mut derived: Vec<Option<String>> = vec![None; n];

    // Parents before children.
    let mut order = vec![def.root()];
    let mut k = 0;
    while k < order.len() {
        order.extend(def.children(order[k]).iter().copied());
        k += 1;
    }
    let mut parent: Vec<Option<usize>> = vec![None; n];
    for &u in &order {
        for &c in def.children(u) {
            parent[c] = Some(u);
        }
    }
    let level = |i: usize| d.units[i].level.as_deref();
    let is_county = |i: usize| is_level(level(i), &["county", "parish"]);

    // States and the country by name.
    for &u in &order {
        if ids[u].is_some() {
            continue;
        }
        if is_level(level(u), &["state"]) {
            derived[u] = unit_names(def, u).find_map(state_id);
        } else if is_level(level(u), &["country", "nation"])
            && unit_names(def, u).any(|s| {
                matches!(
                    s.trim().to_lowercase().as_str(),
                    "united states" | "united states of america" | "usa" | "us" | "u.s." | "u.s.a."
                )
            })
        {
            derived[u] = Some(US.to_string());
        }
    }
    // The state above each unit, from the ids so far.
    let state_above = |u: usize, ids: &[Option<String>], derived: &[Option<String>]| {
        let mut p = parent[u];
        while let Some(q) = p {
            if let Some(s) = ids[q]
                .as_deref()
                .or(derived[q].as_deref())
                .and_then(state_prefix)
            {
                return Some(s.to_string());
            }
            p = parent[q];
        }
        None
    };
    // Counties with no state above them: the one state that has a county of each such name.
    let orphans: BTreeSet<String> = order
        .iter()
        .filter(|&&u| ids[u].is_none() && is_county(u) && state_above(u, &ids, &derived).is_none())
        .map(|&u| county_part(def.text(&d.units[u].name, &d.default_language)))
        .collect();
    let inferred: Option<&str> = if orphans.is_empty() {
        None
    } else {
        let mut fits = table()
            .counties
            .iter()
            .filter(|(_, cs)| orphans.iter().all(|o| cs.contains(o.as_str())))
            .map(|(s, _)| *s);
        match (fits.next(), fits.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    };
    for &u in &order {
        if ids[u].is_some() || !is_county(u) {
            continue;
        }
        let Some(state) = state_above(u, &ids, &derived).or(inferred.map(str::to_string)) else {
            continue;
        };
        let part = county_part(def.text(&d.units[u].name, &d.default_language));
        let id = format!("{state}/county:{part}");
        if is_known(&id) {
            derived[u] = Some(id);
        }
    }
    // An id two units would get (or one the definition states for another) is given to neither.
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in derived.iter().flatten() {
        *count.entry(id.as_str()).or_default() += 1;
    }
    let keep: Vec<bool> = derived
        .iter()
        .map(|x| {
            x.as_deref()
                .is_some_and(|id| count[id] == 1 && !stated.contains(id))
        })
        .collect();
    for (u, id) in derived.into_iter().enumerate() {
        if keep[u] {
            ids[u] = id;
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_ocd_parts() {
        assert_eq!(ocd_part("St. Francis"), "st_francis");
        assert_eq!(county_part("Ben Hill County"), "ben_hill");
        assert_eq!(county_part("DeKalb"), "dekalb");
        assert_eq!(
            state_id("Georgia").as_deref(),
            Some("ocd-division/country:us/state:ga")
        );
        assert_eq!(
            state_id("GA").as_deref(),
            Some("ocd-division/country:us/state:ga")
        );
        // A state the table does not list is not derived.
        assert_eq!(state_id("Ohio"), None);
        assert_eq!(
            state_prefix("ocd-division/country:us/state:ga/county:fulton"),
            Some("ocd-division/country:us/state:ga")
        );
        assert_eq!(
            state_prefix("ocd-division/country:us/state:ga"),
            Some("ocd-division/country:us/state:ga")
        );
        assert_eq!(state_prefix("ocd-division/country:us"), None);
        assert!(is_known("ocd-division/country:us/state:ga/county:ben_hill"));
        assert_eq!(table_name(US), Some("United States"));
    }
}
