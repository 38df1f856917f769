//! Where the readers' bytes come from: the file system ([`Disk`], what the binary reads) or
//! memory ([`Memory`], what the fuzz targets and tests give), behind one small interface, so
//! every reader works on any `Read + Seek` input and no input has to be written to a temporary
//! file first.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::RcvError;

/// A reader's input: any seekable byte source that a helper thread may read.
pub trait Input: Read + Seek + Send {}
impl<T: Read + Seek + Send> Input for T {}

/// The files a config's sources name.
pub trait Files: Sync {
    /// Opens a file, refusing one above [`super::MAX_CVR_FILE_BYTES`].
    fn open(&self, path: &Path) -> Result<Box<dyn Input>, RcvError>;
    /// The length of a file.
    fn len(&self, path: &Path) -> Result<u64, RcvError>;
    /// Whether `path` is a file.
    fn is_file(&self, path: &Path) -> bool;
    /// The files directly in `dir` (full paths, in no particular order).
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, RcvError>;
}

fn too_large(path: &Path, len: u64) -> RcvError {
    RcvError::Limit {
        path: path.to_path_buf(),
        why: format!("{len} bytes, limit {}", super::MAX_CVR_FILE_BYTES),
    }
}

/// The file system.
pub struct Disk;

impl Files for Disk {
    fn open(&self, path: &Path) -> Result<Box<dyn Input>, RcvError> {
        let len = self.len(path)?;
        if len > super::MAX_CVR_FILE_BYTES {
            return Err(too_large(path, len));
        }
        let f = std::fs::File::open(path).map_err(|e| RcvError::io(path, e))?;
        Ok(Box::new(f))
    }
    fn len(&self, path: &Path) -> Result<u64, RcvError> {
        Ok(std::fs::metadata(path)
            .map_err(|e| RcvError::io(path, e))?
            .len())
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, RcvError> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).map_err(|e| RcvError::io(dir, e))? {
            let e = e.map_err(|e| RcvError::io(dir, e))?;
            if e.path().is_file() {
                out.push(e.path());
                if out.len() > super::MAX_FILES_IN_FOLDER {
                    return Err(RcvError::Limit {
                        path: dir.to_path_buf(),
                        why: format!("more than {} files", super::MAX_FILES_IN_FOLDER),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Files held in memory, by path.
#[derive(Default, Clone)]
pub struct Memory {
    files: BTreeMap<PathBuf, Arc<[u8]>>,
}

impl Memory {
    /// No files.
    pub fn new() -> Memory {
        Memory::default()
    }
    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Arc<[u8]>>) {
        self.files.insert(path.into(), bytes.into());
    }
}

impl Files for Memory {
    fn open(&self, path: &Path) -> Result<Box<dyn Input>, RcvError> {
        let bytes = self.files.get(path).ok_or_else(|| {
            RcvError::io(path, std::io::Error::from(std::io::ErrorKind::NotFound))
        })?;
        if bytes.len() as u64 > super::MAX_CVR_FILE_BYTES {
            return Err(too_large(path, bytes.len() as u64));
        }
        Ok(Box::new(Cursor::new(bytes.clone())))
    }
    fn len(&self, path: &Path) -> Result<u64, RcvError> {
        self.files
            .get(path)
            .map(|b| b.len() as u64)
            .ok_or_else(|| RcvError::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, RcvError> {
        Ok(self
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_memory_read_as_on_disk() {
        let mut m = Memory::new();
        m.insert("/d/a.xml", b"<a/>".to_vec());
        m.insert("/d/sub/b.xml", b"<b/>".to_vec());
        assert_eq!(
            m.list(Path::new("/d")).unwrap(),
            [PathBuf::from("/d/a.xml")]
        );
        assert!(m.is_file(Path::new("/d/a.xml")));
        assert_eq!(m.len(Path::new("/d/a.xml")).unwrap(), 4);
        let mut text = String::new();
        m.open(Path::new("/d/a.xml"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "<a/>");
        let e = m.open(Path::new("/d/none.xml")).err().unwrap();
        assert!(e.to_string().contains("/d/none.xml"), "{e}");
    }
}
