//! Headings for the contests of an imported U.S. ballot, by office level, derived from the
//! contests' names and areas: a state's export lists hundreds of contests in one run
//! (president, congress, statewide offices, the legislature, courts, measures, county and city
//! offices), and the public site reads far better grouped. English office names only; a ballot
//! where fewer than two headings would apply gets none.

use skytale_model::{ContestGroup, Definition, LocalizedText};

/// The headings, in the order a voter reads a U.S. ballot.
const LEVELS: [(&str, &str); 6] = [
    ("federal", "Federal offices"),
    ("statewide", "Statewide offices"),
    ("legislative", "State legislature"),
    ("judicial", "Courts"),
    ("measures", "Ballot measures"),
    ("local", "County and local offices"),
];

/// The level of one contest: by words of its name, then by its area (a contest over the
/// whole geography is statewide, one over part of it local).
fn level(name: &str, statewide: bool) -> &'static str {
    let n = format!(
        " {} ",
        name.to_lowercase().replace(['.', ',', '-', '(', ')'], " ")
    );
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&[
        " president ",
        " us senate",
        " u s senate",
        " united states senat",
        " us house",
        " u s house",
        " congress",
        " us representative",
        " u s representative",
    ]) {
        "federal"
    } else if has(&[
        " state senat",
        " state house",
        " state representative",
        " general assembly",
        " state assembly",
        " legislat",
        " house district",
        " senate district",
    ]) {
        "legislative"
    } else if has(&[" judge", " justice", " court", " magistrate", " judicial"]) {
        "judicial"
    } else if has(&[
        " amendment",
        " question",
        " referendum",
        " proposition",
        " measure",
        " initiative",
        " bond ",
    ]) {
        "measures"
    } else if statewide {
        "statewide"
    } else {
        "local"
    }
}

/// Gives an imported definition's contests headings by office level (when none are set and
/// at least two levels occur).
pub(crate) fn group_by_office(def: &mut Definition) {
    if !def.groups.is_empty() || def.contests.iter().any(|c| c.group.is_some()) {
        return;
    }
    let Some(root) = def
        .units
        .iter()
        .find(|u| u.parent.is_none())
        .map(|u| u.id.clone())
    else {
        return;
    };
    let lang = def.default_language.clone();
    let levels: Vec<&'static str> = def
        .contests
        .iter()
        .map(|c| {
            let name = c.name.get(&lang).map(String::as_str).unwrap_or(&c.id);
            level(name, c.area == [root.clone()])
        })
        .collect();
    let used: Vec<(&str, &str)> = LEVELS
        .iter()
        .copied()
        .filter(|(id, _)| levels.contains(id))
        .collect();
    if used.len() < 2 {
        return;
    }
    def.groups = used
        .iter()
        .map(|(id, name)| ContestGroup {
            id: (*id).to_string(),
            name: LocalizedText::from([(lang.clone(), (*name).to_string())]),
        })
        .collect();
    for (c, l) in def.contests.iter_mut().zip(levels) {
        c.group = Some(l.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::level;

    #[test]
    fn offices_fall_under_their_level() {
        for (name, statewide, want) in [
            (
                "President and Vice President of the United States",
                true,
                "federal",
            ),
            ("US Senate (Perdue)", true, "federal"),
            ("US House District 5", false, "federal"),
            ("Governor", true, "statewide"),
            ("Lieutenant Governor", true, "statewide"),
            ("State Senator, District 39", false, "legislative"),
            ("State House District 12", false, "legislative"),
            ("Court of Appeals - Judge Dillard", true, "judicial"),
            ("Constitutional Amendment #1", true, "measures"),
            ("Statewide Referendum A", true, "measures"),
            ("Sheriff", false, "local"),
            ("County Commission District 2", false, "local"),
        ] {
            assert_eq!(level(name, statewide), want, "{name}");
        }
    }
}
