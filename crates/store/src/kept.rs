//! The kept checkpoint's file: two fixed slots written in turn, so keeping a checkpoint costs
//! one write in place and one `fdatasync`, not a new file, a rename and two syncs.
//!
//! Why two slots: a crash can tear the write under way, never the other slot, which holds the
//! checkpoint kept before. Each slot carries a generation and the SHA-256 of its note; the
//! reader takes the valid slot of the highest generation. A torn newest slot therefore reads
//! as the previous checkpoint, one batch behind the database: exactly the case of a crash
//! between the database commit and the keeping, in which no receipt was sent and start-up
//! brings the kept checkpoint up to the log. The file has a fixed size from its creation, so
//! a write changes no file metadata and `fdatasync` is enough.
//!
//! Layout: `2 × SLOT` bytes; a slot is `MAGIC` (8 bytes), generation (u64 LE), note length
//! (u32 LE), SHA-256 of the note (32 bytes), the note, zeros. A file without the magic is the
//! plain note an earlier version wrote (replaced by a two-slot file on the next keeping).

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"SKYKEPT1";
/// Bytes of one slot.
pub const SLOT: usize = 8192;
const HEAD: usize = 8 + 8 + 4 + 32;
/// Longest note a slot holds (a signed checkpoint is a few hundred bytes).
pub const MAX_NOTE: usize = SLOT - HEAD;

/// An open kept-checkpoint file and the generation last written to it.
pub struct Slots {
    file: fs::File,
    generation: u64,
}

fn slot_bytes(generation: u64, note: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(SLOT);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&generation.to_le_bytes());
    b.extend_from_slice(&(note.len() as u32).to_le_bytes());
    b.extend_from_slice(&Sha256::digest(note));
    b.extend_from_slice(note);
    b.resize(SLOT, 0);
    b
}

/// The note and generation of a slot, if it is whole.
fn read_slot(slot: &[u8]) -> Option<(u64, &[u8])> {
    if slot.len() < HEAD || &slot[..8] != MAGIC {
        return None;
    }
    let generation = u64::from_le_bytes(slot[8..16].try_into().ok()?);
    let len = u32::from_le_bytes(slot[16..20].try_into().ok()?) as usize;
    let note = slot.get(HEAD..HEAD.checked_add(len)?)?;
    (Sha256::digest(note).as_slice() == &slot[20..52]).then_some((generation, note))
}

/// What a kept-checkpoint file holds: the note of its newest whole slot (or the whole file, in
/// the plain format), and that slot's generation. `None`: no whole slot.
pub fn parse(bytes: &[u8]) -> Option<(u64, Vec<u8>)> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        // The plain format: the note itself.
        return Some((0, bytes.to_vec()));
    }
    bytes
        .chunks(SLOT)
        .take(2)
        .filter_map(read_slot)
        .max_by_key(|(generation, _)| *generation)
        .map(|(generation, note)| (generation, note.to_vec()))
}

/// Writes a new two-slot file holding `note` as generation 1, atomically (temporary file,
/// synced, renamed, directory synced): the file's first creation, or the replacement of a
/// plain or unreadable one.
pub fn create(path: &Path, tmp: &Path, note: &[u8]) -> std::io::Result<Slots> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut image = slot_bytes(1, note);
    image.resize(2 * SLOT, 0);
    let written = (|| {
        let mut f = fs::File::create(tmp)?;
        f.write_all(&image)?;
        f.sync_all()?;
        fs::rename(tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(tmp);
    }
    written?;
    Ok(Slots {
        file: fs::OpenOptions::new().read(true).write(true).open(path)?,
        generation: 1,
    })
}

/// Opens an existing two-slot file for keeping; `None` if there is none in the two-slot format.
pub fn open(path: &Path) -> std::io::Result<Option<Slots>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if bytes.len() != 2 * SLOT {
        return Ok(None);
    }
    match parse(&bytes) {
        Some((generation, _)) if generation > 0 => Ok(Some(Slots {
            file: fs::OpenOptions::new().read(true).write(true).open(path)?,
            generation,
        })),
        _ => Ok(None),
    }
}

impl Slots {
    /// Keeps `note` in the slot not holding the newest checkpoint, and syncs its data.
    pub fn keep(&mut self, note: &[u8]) -> std::io::Result<()> {
        let generation = self.generation + 1;
        let at = (generation % 2) * SLOT as u64;
        self.file.write_all_at(&slot_bytes(generation, note), at)?;
        self.file.sync_data()?;
        self.generation = generation;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_newest_slot_reads_as_the_checkpoint_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.checkpoint");
        let mut s = create(&path, &dir.path().join(".tmp"), b"one").unwrap();
        s.keep(b"two").unwrap();
        s.keep(b"three").unwrap();
        let mut bytes = fs::read(&path).unwrap();
        assert_eq!(parse(&bytes), Some((3, b"three".to_vec())));
        // Generation 3 is in slot 1; tear it.
        bytes[SLOT + HEAD] ^= 1;
        assert_eq!(parse(&bytes), Some((2, b"two".to_vec())));
        fs::write(&path, &bytes).unwrap();
        // Reopened, the next keeping goes after the newest whole slot, over the torn one.
        let mut s = open(&path).unwrap().unwrap();
        s.keep(b"four").unwrap();
        assert_eq!(
            parse(&fs::read(&path).unwrap()),
            Some((3, b"four".to_vec()))
        );
    }

    #[test]
    fn the_plain_format_reads_as_its_note() {
        assert_eq!(
            parse(b"a plain note\n"),
            Some((0, b"a plain note\n".to_vec()))
        );
        let mut both_torn = slot_bytes(1, b"x");
        both_torn.extend(slot_bytes(2, b"y"));
        both_torn[HEAD] ^= 1;
        both_torn[SLOT + HEAD] ^= 1;
        assert_eq!(parse(&both_torn), None);
    }
}
