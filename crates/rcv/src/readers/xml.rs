//! A minimal element tree over quick-xml, for reading one CVR (or one election header) at a
//! time: namespaces are dropped (local names only), text is trimmed, attributes kept.

use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart, Event};

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most elements in one subtree.
pub const MAX_NODES: usize = 1_000_000;

/// An element.
#[derive(Debug, Default, Clone)]
pub struct Node {
    /// Local name.
    pub name: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Node>,
    /// Concatenated, trimmed text content.
    pub text: String,
}

impl Node {
    /// First child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    /// All children named `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
    /// Attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn start_node(e: &BytesStart<'_>) -> Node {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            (
                String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                {
                    let raw = String::from_utf8_lossy(&a.value).into_owned();
                    quick_xml::escape::unescape(&raw)
                        .map(|v| v.into_owned())
                        .unwrap_or(raw)
                },
            )
        })
        .collect();
    Node {
        name,
        attrs,
        ..Node::default()
    }
}

/// Reads the subtree whose start tag `start` was just read (`empty` if it was `<x/>`).
pub fn read_subtree<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    start: &BytesStart<'_>,
    empty: bool,
    buf: &mut Vec<u8>,
) -> Result<Node, String> {
    let root = start_node(start);
    if empty {
        return Ok(root);
    }
    let mut stack = vec![root];
    let mut nodes = 1usize;
    // quick-xml hands text over in pieces, cut at each entity reference (`&amp;` is an event
    // of its own): a run of pieces is joined, then trimmed as one text.
    let mut run = String::new();
    loop {
        buf.clear();
        let ev = reader
            .read_event_into(buf)
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match &ev {
            Event::Text(t) => {
                run.push_str(&t.decode().map_err(|e| format!("XML text: {e}"))?);
                continue;
            }
            Event::GeneralRef(r) => {
                run.push_str(&entity(r)?);
                continue;
            }
            _ if !run.is_empty() => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(run.trim());
                }
                run.clear();
            }
            _ => {}
        }
        match ev {
            Event::Start(e) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH || nodes > MAX_NODES {
                    return Err(format!(
                        "element too deep or too large (limits {MAX_DEPTH}, {MAX_NODES})"
                    ));
                }
                stack.push(start_node(&e));
            }
            Event::Empty(e) => {
                nodes += 1;
                let n = start_node(&e);
                if let Some(top) = stack.last_mut() {
                    top.children.push(n);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(String::from_utf8_lossy(&t).trim());
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err("unbalanced end tag".into());
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => return Err("unexpected end of file inside an element".into()),
            _ => {}
        }
    }
}

/// The text an entity reference stands for: a character reference, or one of XML's five
/// predefined entities (no DTD is read, so there are no others).
pub(crate) fn entity(r: &BytesRef<'_>) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(x: &str) -> Result<Node, String> {
        let mut r = quick_xml::Reader::from_reader(x.as_bytes());
        let mut buf = Vec::new();
        loop {
            if let Event::Start(e) = r.read_event_into(&mut buf).map_err(|e| e.to_string())? {
                let e = e.into_owned();
                return read_subtree(&mut r, &e, false, &mut Vec::new());
            }
            buf.clear();
        }
    }

    #[test]
    fn text_with_entity_references_is_read_whole() {
        let n = read("<Cvr><Name> Smith &amp; Sons </Name><V>&#x31;2</V></Cvr>").unwrap();
        assert_eq!(n.child("Name").unwrap().text, "Smith & Sons");
        assert_eq!(n.child("V").unwrap().text, "12");
        assert!(read("<Cvr>&nope;</Cvr>").is_err());
    }
}
