#!/usr/bin/env python3
"""Writes the two synthetic CSV files of this folder (deterministic: same bytes every run).

They are made up for the CSV geography tests: place names are real New England towns, every
figure is invented. The layouts are those of OpenElections precinct files of states that
report by town: `county,town,precinct,...` where one precinct code (a house district) covers
several towns, and `town,ward,precinct,...` where some towns have wards and some do not,
with rows in no particular order.
"""
import csv
import random

rng = random.Random(2020)
PRESIDENT = [("Joseph Biden", "Democratic"), ("Donald Trump", "Republican"),
             ("Jo Jorgensen", "Libertarian"), ("Howie Hawkins", "Green")]
GOVERNOR = [("Phil Scott", "Republican"), ("David Zuckerman", "Democratic")]
HOUSE = [("Peter Welch", "Democratic"), ("Miriam Berry", "Republican")]

# county -> [(town, precinct code)]; ADD-3 spans five towns, Bennington town has two codes.
VT = {
    "Addison": [("Addison", "ADD-3"), ("Ferrisburgh", "ADD-3"), ("Panton", "ADD-3"),
                ("Vergennes", "ADD-3"), ("Waltham", "ADD-3"), ("Middlebury", "ADD-1"),
                ("Bristol", "ADD-4"), ("Starksboro", "ADD-4")],
    "Bennington": [("Bennington", "BEN-2-1"), ("Bennington", "BEN-2-2"),
                   ("Manchester", "BEN-4"), ("Dorset", "BEN-4")],
    "Grand Isle": [("Alburgh", "GI-CHI"), ("Grand Isle", "GI-CHI"), ("North Hero", "GI-CHI"),
                   ("South Hero", "GI-CHI"), ("Isle La Motte", "GI-CHI")],
}
with open("vt_layout.csv", "w", newline="") as f:
    f.write("county,town,precinct,office,district,candidate,party,votes\n")
    for county, places in VT.items():
        for town, code in places:
            for office, district, cands in [("President", "", PRESIDENT),
                                            ("Governor", "", GOVERNOR),
                                            ("U.S. House", "1", HOUSE)]:
                for name, party in cands:
                    f.write(f"{county},{town},{code},{office},{district},{name},{party},"
                            f"{rng.randint(0, 2500)}\n")

# town -> wards (None: precincts directly under the town) -> precincts
MA = {
    "Beverly": {w: ["1", "2"] for w in ["1", "2", "3"]},
    "Gloucester": {w: ["1", "2"] for w in ["1", "2"]},
    "Canton": {None: ["1", "2", "3"]},
    "Orleans": {None: ["1"]},
}
rows = []
for town, wards in MA.items():
    for ward, precincts in wards.items():
        for p in precincts:
            contests = [("President", "", [("", "Joseph R. Biden, Jr."), ("", "Donald J. Trump")]),
                        ("State House", "6th Essex" if town in ("Beverly", "Gloucester")
                         else "6th Norfolk", [("Democratic", "Jane Doe"), ("", "All Others")])]
            for office, district, cands in contests:
                for party, name in cands:
                    rows.append([town, ward or "", p, office, district, party, name,
                                 rng.randint(0, 1800)])
rng.shuffle(rows)
with open("ma_layout.csv", "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["town", "ward", "precinct", "office", "district", "party", "candidate", "votes"])
    out.writerows(rows)
