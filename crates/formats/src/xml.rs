//! A guarded streaming XML reader over quick-xml: refuses DOCTYPE (hence entity declarations,
//! external entities and entity expansion), limits nesting depth and attributes, converts
//! non-UTF-8 encodings declared in the XML declaration, and reports errors with line and column.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::error::{FormatError, Location};

/// Deepest element nesting accepted (CDF reports nest about 8 deep, Clarity 6).
pub const MAX_XML_DEPTH: usize = 64;
/// Most attributes on one element.
pub const MAX_XML_ATTRIBUTES: usize = 64;

/// An XML event with owned-or-borrowed data.
pub(crate) enum Ev<'a> {
    Start(BytesStart<'a>),
    Empty(BytesStart<'a>),
    End,
    Text(Cow<'a, str>),
    Eof,
}

pub(crate) struct Xml<'a> {
    reader: Reader<&'a [u8]>,
    src: &'a [u8],
    depth: usize,
    /// (byte offset, line at that offset): line numbers are counted incrementally, since the
    /// reader only moves forward.
    line_mark: std::cell::Cell<(usize, u64)>,
    /// The event read after a text run, handed out by the next call.
    held: Option<Event<'a>>,
}

/// Input converted to UTF-8 when the XML declaration names another encoding.
pub(crate) fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, [u8]>, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The declaration is found after white space too (a file that starts with a blank line).
    let head = bytes[..bytes.len().min(400)].trim_ascii_start();
    if head.starts_with(b"<?xml") {
        let end = head
            .windows(2)
            .position(|w| w == b"?>")
            .unwrap_or(head.len());
        let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
        if let Some(p) = decl.find("encoding=") {
            let rest = &decl[p + 9..];
            let q = rest.chars().next().unwrap_or('"');
            let label: String = rest.chars().skip(1).take_while(|c| *c != q).collect();
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                FormatError::syntax(Location::line(1), format!("unknown XML encoding {label:?}"))
            })?;
            if enc != encoding_rs::UTF_8 {
                let (text, _, _) = enc.decode(bytes);
                return Ok(Cow::Owned(text.into_owned().into_bytes()));
            }
        }
    }
    Ok(Cow::Borrowed(bytes))
}

impl<'a> Xml<'a> {
    pub fn new(src: &'a [u8]) -> Xml<'a> {
        // No trimming by quick-xml: it would trim every piece of a text cut at an entity
        // reference ("A &amp; B" would read "A&B"); `next` trims whole texts.
        let reader = Reader::from_reader(src);
        Xml {
            reader,
            src,
            depth: 0,
            line_mark: std::cell::Cell::new((0, 1)),
            held: None,
        }
    }

    /// Line and column of a byte offset.
    fn loc_at(&self, pos: u64) -> Location {
        let pos = (pos as usize).min(self.src.len());
        let before = &self.src[..pos];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let col = (pos
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|p| p + 1)
                .unwrap_or(0)) as u64
            + 1;
        Location {
            line: Some(line),
            column: Some(col),
            ..Location::default()
        }
    }

    /// Where the reader is now.
    pub fn loc(&self) -> Location {
        self.loc_at(self.reader.buffer_position())
    }

    /// The current line, counted incrementally from the last call.
    pub fn line(&self) -> u64 {
        let pos = (self.reader.buffer_position() as usize).min(self.src.len());
        let (mark, line) = self.line_mark.get();
        if pos < mark {
            return self.loc().line.unwrap_or(0);
        }
        let line = line + memchr::memchr_iter(b'\n', &self.src[mark..pos]).count() as u64;
        self.line_mark.set((pos, line));
        line
    }

    pub fn next(&mut self) -> Result<Ev<'a>, FormatError> {
        // quick-xml hands text over in pieces, cut at each entity reference (`&amp;` is an
        // event of its own): a run of pieces is joined into one text, trimmed at its ends where
        // they are literal text (as quick-xml's own trimming did before it cut text at
        // references; a `&#32;` at an end is kept).
        let mut run: Option<Cow<'a, str>> = None;
        // Where the last literal piece of the run starts, if the run ends with one.
        let mut tail: Option<usize> = None;
        loop {
            let ev = match self.held.take() {
                Some(ev) => ev,
                None => self.reader.read_event().map_err(|e| {
                    let at = self.loc_at(self.reader.error_position());
                    FormatError::syntax(at, format!("malformed XML: {e}"))
                })?,
            };
            match ev {
                Event::Text(t) => {
                    let mut piece = t
                        .decode()
                        .map_err(|e| FormatError::syntax(self.loc(), format!("bad text: {e}")))?;
                    if run.is_none() {
                        piece = trim_start(piece);
                    }
                    let at = run.as_ref().map_or(0, |r| r.len());
                    run = Some(match run {
                        None => piece,
                        Some(r) => Cow::Owned(r.into_owned() + &piece),
                    });
                    tail = Some(at);
                }
                Event::GeneralRef(r) => {
                    let piece = entity(&r).map_err(|why| {
                        FormatError::syntax(self.loc(), format!("bad text: {why}"))
                    })?;
                    run = Some(Cow::Owned(
                        run.map(Cow::into_owned).unwrap_or_default() + &piece,
                    ));
                    tail = None;
                }
                other => {
                    if let Some(text) = run.take() {
                        let text = match tail {
                            Some(at) => trim_end_from(text, at),
                            None => text,
                        };
                        if !text.is_empty() {
                            self.held = Some(other);
                            return Ok(Ev::Text(text));
                        }
                    }
                    if let Some(ev) = self.event(other)? {
                        return Ok(ev);
                    }
                }
            }
        }
    }

    /// One event other than text: `None` for those that are skipped.
    fn event(&mut self, ev: Event<'a>) -> Result<Option<Ev<'a>>, FormatError> {
        Ok(Some(match ev {
            Event::Start(e) => {
                self.depth += 1;
                if self.depth > MAX_XML_DEPTH {
                    return Err(FormatError::TooLarge {
                        at: self.loc(),
                        what: "the XML nesting depth",
                        limit: MAX_XML_DEPTH as u64,
                    });
                }
                Ev::Start(e)
            }
            Event::Empty(e) => Ev::Empty(e),
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ev::End
            }
            Event::CData(c) => {
                let b = c.into_inner();
                match b {
                    Cow::Borrowed(b) => {
                        Ev::Text(Cow::Borrowed(std::str::from_utf8(b).map_err(|_| {
                            FormatError::syntax(self.loc(), "CDATA is not UTF-8")
                        })?))
                    }
                    Cow::Owned(b) => {
                        Ev::Text(Cow::Owned(String::from_utf8(b).map_err(|_| {
                            FormatError::syntax(self.loc(), "CDATA is not UTF-8")
                        })?))
                    }
                }
            }
            Event::DocType(_) => return Err(FormatError::Dtd { at: self.loc() }),
            Event::Eof => {
                if self.depth != 0 {
                    return Err(FormatError::syntax(
                        self.loc(),
                        "the XML ends inside an element",
                    ));
                }
                Ev::Eof
            }
            // Declarations, comments, processing instructions; text is handled by `next`.
            _ => return Ok(None),
        }))
    }

    /// Skips the rest of the element just started.
    pub fn skip(&mut self) -> Result<(), FormatError> {
        let mut d = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => d += 1,
                Ev::End => {
                    d -= 1;
                    if d == 0 {
                        return Ok(());
                    }
                }
                Ev::Eof => {
                    return Err(FormatError::syntax(
                        self.loc(),
                        "the XML ends inside an element",
                    ))
                }
                _ => {}
            }
        }
    }

    /// Collects the text of the element just started (up to its end; children's text too).
    pub fn text(&mut self) -> Result<String, FormatError> {
        let mut out = String::new();
        let mut d = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => d += 1,
                Ev::End => {
                    d -= 1;
                    if d == 0 {
                        return Ok(out);
                    }
                }
                Ev::Text(t) => {
                    if out.len() + t.len() > crate::xml::MAX_TEXT {
                        return Err(FormatError::TooLarge {
                            at: self.loc(),
                            what: "the length of an XML text",
                            limit: MAX_TEXT as u64,
                        });
                    }
                    out.push_str(&t)
                }
                Ev::Eof => {
                    return Err(FormatError::syntax(
                        self.loc(),
                        "the XML ends inside an element",
                    ))
                }
                Ev::Empty(_) => {}
            }
        }
    }
}

/// XML's whitespace (quick-xml trimmed exactly these).
fn xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn trim_start(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_start_matches(xml_space)),
        Cow::Owned(o) => Cow::Owned(o.trim_start_matches(xml_space).to_string()),
    }
}

/// `c` with the XML whitespace at its end removed, but nothing before byte `at`.
fn trim_end_from(c: Cow<'_, str>, at: usize) -> Cow<'_, str> {
    let keep = at
        + c.get(at..)
            .map_or(0, |t| t.trim_end_matches(xml_space).len());
    match c {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(..keep).unwrap_or(b)),
        Cow::Owned(mut o) => {
            o.truncate(keep);
            Cow::Owned(o)
        }
    }
}

/// The text an entity reference stands for: a character reference, or one of XML's five
/// predefined entities (DOCTYPE is refused, so there are no others).
fn entity(r: &BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| format!("bad character reference: {e}"))?
    {
        return Ok(c.to_string());
    }
    let name = r
        .decode()
        .map_err(|e| format!("bad entity reference: {e}"))?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown entity &{name};"))
}

/// Longest text content of one element.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// The local name (namespace prefix removed).
pub(crate) fn local<'b>(e: &'b BytesStart<'_>) -> &'b [u8] {
    let n = e.name().0;
    match n.iter().rposition(|&b| b == b':') {
        Some(p) => &n[p + 1..],
        None => n,
    }
}

/// An attribute: local name and unescaped value.
pub(crate) type Attr<'b> = (&'b [u8], Cow<'b, str>);

/// All attributes as (local name, value); values unescaped.
pub(crate) fn attrs<'b>(
    e: &'b BytesStart<'_>,
    at: &dyn Fn() -> Location,
) -> Result<Vec<Attr<'b>>, FormatError> {
    let mut out = Vec::with_capacity(8);
    for a in e.attributes() {
        let a = a.map_err(|err| FormatError::syntax(at(), format!("bad attribute: {err}")))?;
        if out.len() >= MAX_XML_ATTRIBUTES {
            return Err(FormatError::TooLarge {
                at: at(),
                what: "the number of attributes of an element",
                limit: MAX_XML_ATTRIBUTES as u64,
            });
        }
        let key = a.key.0;
        let key = match key.iter().rposition(|&b| b == b':') {
            Some(p) if !key.starts_with(b"xmlns") => &key[p + 1..],
            _ => key,
        };
        out.push((key, value(a.value, at)?));
    }
    Ok(out)
}

/// The values of the attributes `names` (local names) of a hot element, without building the
/// list of all of them: no allocation unless a value has entities. A name given twice is an
/// error; quick-xml's duplicate check over every attribute (quadratic) is skipped, so a
/// repeated attribute that is not asked for goes unnoticed, which changes nothing we read.
pub(crate) fn pick<'b, const N: usize>(
    e: &'b BytesStart<'_>,
    names: [&[u8]; N],
    at: &dyn Fn() -> Location,
) -> Result<[Option<Cow<'b, str>>; N], FormatError> {
    let mut out: [Option<Cow<'b, str>>; N] = std::array::from_fn(|_| None);
    for (n, a) in e.attributes().with_checks(false).enumerate() {
        let a = a.map_err(|err| FormatError::syntax(at(), format!("bad attribute: {err}")))?;
        if n >= MAX_XML_ATTRIBUTES {
            return Err(FormatError::TooLarge {
                at: at(),
                what: "the number of attributes of an element",
                limit: MAX_XML_ATTRIBUTES as u64,
            });
        }
        let key = a.key.0;
        let key = match key.iter().rposition(|&b| b == b':') {
            Some(p) if !key.starts_with(b"xmlns") => &key[p + 1..],
            _ => key,
        };
        let Some(i) = names.iter().position(|n| *n == key) else {
            continue;
        };
        if out[i].is_some() {
            return Err(FormatError::syntax(
                at().field(String::from_utf8_lossy(key).into_owned()),
                "the attribute is given twice",
            ));
        }
        out[i] = Some(value(a.value, at)?);
    }
    Ok(out)
}

/// An attribute value as text, unescaped.
fn value<'b>(v: Cow<'b, [u8]>, at: &dyn Fn() -> Location) -> Result<Cow<'b, str>, FormatError> {
    Ok(match v {
        Cow::Borrowed(b) if !b.contains(&b'&') => Cow::Borrowed(
            std::str::from_utf8(b)
                .map_err(|_| FormatError::syntax(at(), "attribute is not UTF-8"))?,
        ),
        // `quick_xml::escape::unescape` works whether or not another crate in the build
        // turns on quick-xml's `encoding` feature (which removes `unescape_value`).
        _ => {
            let raw = std::str::from_utf8(&v)
                .map_err(|_| FormatError::syntax(at(), "attribute is not UTF-8"))?;
            Cow::Owned(
                quick_xml::escape::unescape(raw)
                    .map_err(|err| {
                        FormatError::syntax(at(), format!("bad attribute value: {err}"))
                    })?
                    .into_owned(),
            )
        }
    })
}

pub(crate) fn get<'v>(attrs: &'v [(&[u8], Cow<'_, str>)], name: &[u8]) -> Option<&'v str> {
    attrs
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(x: &[u8]) -> Result<(), FormatError> {
        let mut r = Xml::new(x);
        loop {
            if let Ev::Eof = r.next()? {
                return Ok(());
            }
        }
    }

    #[test]
    fn refuses_dtd_and_entities() {
        let bomb =
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<a>&lol;</a>";
        assert!(matches!(drain(bomb), Err(FormatError::Dtd { .. })));
        let xxe = b"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>";
        assert!(matches!(drain(xxe), Err(FormatError::Dtd { .. })));
        // An undeclared entity reference is an error, not an expansion.
        assert!(drain(b"<a>&lol;</a>").is_err());
    }

    /// The text of the root element, as `text` reads it.
    fn root_text(x: &str) -> Result<String, FormatError> {
        let mut r = Xml::new(x.as_bytes());
        assert!(matches!(r.next()?, Ev::Start(_)));
        r.text()
    }

    #[test]
    fn text_cut_at_entity_references_reads_whole_and_trimmed_at_its_ends() {
        assert_eq!(root_text("<a>  A &amp; B  </a>").unwrap(), "A & B");
        assert_eq!(root_text("<a>&lt;x&gt;</a>").unwrap(), "<x>");
        assert_eq!(root_text("<a> Caf&#233; &#x41; </a>").unwrap(), "Café A");
        // A character reference at an end is content, not layout.
        assert_eq!(root_text("<a>&#32;x</a>").unwrap(), " x");
        assert_eq!(
            root_text("<a>\n  <b> one </b>\n  <b>two &quot;2&quot;</b>\n</a>").unwrap(),
            "onetwo \"2\""
        );
        assert_eq!(root_text("<a>x<!-- c --> y</a>").unwrap(), "xy");
        assert_eq!(root_text("<a> <![CDATA[ raw ]]> </a>").unwrap(), " raw ");
        assert!(root_text("<a>&bogus;</a>").is_err());
        assert!(root_text("<a>&#0;</a>").is_err());
    }

    #[test]
    fn limits_depth_and_reports_position() {
        let deep = "<a>".repeat(MAX_XML_DEPTH + 1);
        assert!(matches!(
            drain(deep.as_bytes()),
            Err(FormatError::TooLarge { .. })
        ));
        let e = drain(b"<a>\n<b></c></a>").unwrap_err();
        assert_eq!(e.location().unwrap().line, Some(2), "{e}");
    }

    #[test]
    fn converts_latin1() {
        let x = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a n=\"Espa\xf1a\"/>";
        let u = to_utf8(x).unwrap();
        assert!(std::str::from_utf8(&u).unwrap().contains("España"));
    }
}
