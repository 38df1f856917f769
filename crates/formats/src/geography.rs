//! Where a CSV row happened: the geography columns of a header and each row's unit path.
//!
//! OpenElections files name their geography in as many columns as the state has levels:
//! `county,precinct` in Georgia, `county,town,precinct` in Vermont, `town,ward,precinct` in
//! Massachusetts. A precinct code is only unique within its town or ward (Vermont's house
//! districts span several towns; `1` is a precinct of hundreds of Massachusetts towns), so a
//! row's unit is the path through every geography column present, outermost first, and each
//! unit is found under its parent, never by its name alone.
//!
//! Recognised headers (compared case-insensitively, `_` and `-` read as spaces), outermost
//! first: state; county (`parish`); town (`municipality`, `township`, `city`); ward; precinct.
//! `district` is not among them: in these files it qualifies the office (congressional
//! district 5). A mapping's `[csv] geography` names the columns of any other layout, in order.
//!
//! An empty cell skips its level for that row: a county-total row with no town is the
//! county's own report, beside its towns' (the roll-up rule lets it win over their sum).

use foldhash::{HashMap, HashMapExt};

use crate::error::{FormatError, Location};
use crate::mapping::CsvLayout;
use crate::norm::norm_key;
use crate::sheet::Sheet;

/// The geography levels a header may name, outermost first: (rank, level recorded on the
/// unit, spellings). Within a rank the first spelling the header has is the column: a header
/// with both `town` and `city` uses `town` (a mapping's `geography` chooses otherwise).
const LEVELS: &[(u8, &str, &[&str])] = &[
    (0, "state", &["state", "state name"]),
    (1, "county", &["county", "county name"]),
    (1, "parish", &["parish"]),
    (2, "town", &["town", "town name", "city/town", "town/city"]),
    (
        2,
        "municipality",
        &["municipality", "municipality name", "municipal"],
    ),
    (2, "township", &["township"]),
    (2, "city", &["city", "city name"]),
    (3, "ward", &["ward"]),
    (4, "precinct", &["precinct", "precinct name"]),
];

/// A header name as the table above spells it: lower case, `_` and `-` as spaces.
fn spelling(header: &str) -> String {
    norm_key(&header.replace(['_', '-'], " "))
}

/// The table's entry for a header: its rank, its level and where its spelling stands in the
/// table (earlier wins within a rank).
fn known_level(header: &str) -> Option<(u8, &'static str, usize)> {
    let s = spelling(header);
    LEVELS
        .iter()
        .enumerate()
        .find_map(|(i, (rank, level, names))| {
            names
                .iter()
                .position(|n| *n == s)
                .map(|j| (*rank, *level, i * 16 + j))
        })
}

/// One geography column: where it is in the record and the level its units get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeoColumn {
    pub index: usize,
    pub level: String,
}

/// The geography columns of `headers`, outermost first. With a layout: its `geography` list
/// in the order given, or else its `county` and `precinct` columns; without one: every
/// recognised header, by level, whatever the column order.
pub(crate) fn columns(
    headers: &[String],
    layout: Option<&CsvLayout>,
) -> Result<Vec<GeoColumn>, FormatError> {
    let find = |name: &str| {
        let n = norm_key(name);
        headers
            .iter()
            .position(|h| norm_key(h) == n)
            .ok_or_else(|| {
                FormatError::invalid(
                    Location::line(1).field(name),
                    format!(
                        "the header has no {name:?} column; columns are: {}",
                        headers.join(", ")
                    ),
                )
            })
    };
    let named = |name: &str| -> Result<GeoColumn, FormatError> {
        let index = find(name)?;
        let level = match known_level(name) {
            Some((_, level, _)) => level.to_string(),
            None => norm_key(name),
        };
        Ok(GeoColumn { index, level })
    };
    if let Some(l) = layout {
        return match &l.geography {
            Some(names) => names.iter().map(|n| named(n)).collect(),
            None => {
                let mut cols = Vec::new();
                if let Some(c) = &l.county {
                    cols.push(GeoColumn {
                        index: find(c)?,
                        level: "county".into(),
                    });
                }
                if let Some(p) = &l.precinct {
                    cols.push(GeoColumn {
                        index: find(p)?,
                        level: "precinct".into(),
                    });
                }
                Ok(cols)
            }
        };
    }
    // Per rank, the recognised header with the earliest spelling in the table.
    let mut best: Vec<Option<(usize, &'static str, usize)>> = vec![None; 5];
    for (index, h) in headers.iter().enumerate() {
        if let Some((rank, level, order)) = known_level(h) {
            let slot = &mut best[usize::from(rank)];
            match slot {
                Some((o, _, _)) if *o <= order => {}
                _ => *slot = Some((order, level, index)),
            }
        }
    }
    Ok(best
        .into_iter()
        .flatten()
        .map(|(_, level, index)| GeoColumn {
            index,
            level: level.to_string(),
        })
        .collect())
}

/// A cell's raw bytes → its unit (`None`: a blank cell, the level skipped).
type CellUnits = HashMap<Box<[u8]>, Option<usize>>;

/// Finds each row's unit: the path through its geography cells, each unit under its parent.
/// Files come sorted, so a row's cells are first compared with the last row's, level by level:
/// while they agree the last row's units stand, and only the first differing level onwards is
/// looked up (by raw bytes, per parent) or added to the sheet.
pub(crate) struct UnitPaths {
    columns: Vec<GeoColumn>,
    /// Per level, per parent slot (0: no parent, else parent unit + 1): the cell's units.
    tables: Vec<Vec<CellUnits>>,
    /// The last row's cells side by side, where each ends, and each level's unit.
    last: Vec<u8>,
    last_ends: Vec<usize>,
    last_units: Vec<Option<usize>>,
    /// The one unit of rows whose geography cells are all blank (or of a file without any).
    all_units: Option<usize>,
}

impl UnitPaths {
    pub fn new(columns: Vec<GeoColumn>) -> UnitPaths {
        let levels = columns.len();
        UnitPaths {
            columns,
            tables: vec![Vec::new(); levels],
            last: Vec::new(),
            last_ends: Vec::new(),
            last_units: Vec::new(),
            all_units: None,
        }
    }

    /// The unit of the row on `line`, whose field `i` is `cell(i)`; `name` decodes a cell
    /// (field `i`'s raw bytes) to text, met only the first time a spelling is seen under a
    /// parent.
    pub fn unit<'r>(
        &mut self,
        sheet: &mut Sheet,
        line: u64,
        cell: impl Fn(usize) -> Result<&'r [u8], FormatError>,
        mut name: impl FnMut(&[u8], usize) -> Result<String, FormatError>,
    ) -> Result<usize, FormatError> {
        let mut parent: Option<usize> = None;
        // Whether every level so far repeats the last row's.
        let mut same = self.last_ends.len() == self.columns.len();
        let mut start = 0;
        for k in 0..self.columns.len() {
            let index = self.columns[k].index;
            let raw = cell(index)?;
            if same {
                let end = self.last_ends[k];
                if self.last.get(start..end) == Some(raw) {
                    if let Some(u) = self.last_units[k] {
                        parent = Some(u);
                    }
                    start = end;
                    continue;
                }
                same = false;
                self.last.truncate(start);
                self.last_ends.truncate(k);
                self.last_units.truncate(k);
            }
            let slot = parent.map_or(0, |p| p + 1);
            let table = &mut self.tables[k];
            if table.len() <= slot {
                table.resize_with(slot + 1, HashMap::new);
            }
            let unit = match table[slot].get(raw) {
                Some(&u) => u,
                None => {
                    let text = name(raw, index)?;
                    let u = match text.trim() {
                        "" => None,
                        n => Some(sheet.unit(parent, n, Some(&self.columns[k].level), line)?),
                    };
                    self.tables[k][slot].insert(Box::from(raw), u);
                    u
                }
            };
            self.last.extend_from_slice(raw);
            self.last_ends.push(self.last.len());
            self.last_units.push(unit);
            if unit.is_some() {
                parent = unit;
            }
        }
        match parent {
            Some(u) => Ok(u),
            None => match self.all_units {
                Some(u) => Ok(u),
                None => {
                    let u = sheet.unit(None, "All reporting units", None, line)?;
                    self.all_units = Some(u);
                    Ok(u)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(header: &str) -> Vec<(String, String)> {
        let headers: Vec<String> = header.split(',').map(str::to_string).collect();
        columns(&headers, None)
            .unwrap()
            .into_iter()
            .map(|c| (headers[c.index].clone(), c.level))
            .collect()
    }

    #[test]
    fn recognised_headers_outermost_first() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            cols("county,town,precinct,office,district,candidate,party,votes"),
            pairs(&[
                ("county", "county"),
                ("town", "town"),
                ("precinct", "precinct")
            ])
        );
        assert_eq!(
            cols("Precinct,Ward,Municipality,Office,Candidate,Votes,COUNTY,State"),
            pairs(&[
                ("State", "state"),
                ("COUNTY", "county"),
                ("Municipality", "municipality"),
                ("Ward", "ward"),
                ("Precinct", "precinct")
            ])
        );
        // `district` qualifies the office; one column per level, the table's spelling first.
        assert_eq!(
            cols("city,town,district,precinct_name,office,candidate,votes"),
            pairs(&[("town", "town"), ("precinct_name", "precinct")])
        );
        assert_eq!(cols("office,candidate,votes"), pairs(&[]));
    }

    #[test]
    fn a_shared_code_is_one_unit_per_parent_and_blank_cells_skip_their_level() {
        let mut sheet = Sheet::new(crate::Format::Csv);
        let mut paths = UnitPaths::new(vec![
            GeoColumn {
                index: 0,
                level: "county".into(),
            },
            GeoColumn {
                index: 1,
                level: "town".into(),
            },
            GeoColumn {
                index: 2,
                level: "precinct".into(),
            },
        ]);
        let rows: [[&[u8]; 3]; 7] = [
            [b"A", b"T1", b"P"],
            [b"A", b"T1", b"P"],
            [b"A", b"T2", b"P"],
            [b"A", b"", b""],
            [b"A", b"T1", b"P"],
            [b"A", b"", b"P"],
            [b"", b"", b""],
        ];
        let mut got = Vec::new();
        for (line, row) in rows.iter().enumerate() {
            let u = paths
                .unit(
                    &mut sheet,
                    line as u64 + 2,
                    |i| Ok(row[i]),
                    |raw, _| Ok(String::from_utf8_lossy(raw).into_owned()),
                )
                .unwrap();
            let mut path = vec![sheet.units[u].name.display.clone()];
            let mut p = sheet.units[u].parent;
            while let Some(x) = p {
                path.insert(0, sheet.units[x].name.display.clone());
                p = sheet.units[x].parent;
            }
            got.push((u, path.join("/")));
        }
        let paths: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "A/T1/P",
                "A/T1/P",
                "A/T2/P",
                "A",
                "A/T1/P",
                "A/P",
                "All reporting units"
            ]
        );
        assert_eq!(got[0].0, got[4].0);
        assert_ne!(got[0].0, got[2].0);
        assert_ne!(got[2].0, got[5].0);
        assert_eq!(sheet.units[got[2].0].level.as_deref(), Some("precinct"));
    }
}
