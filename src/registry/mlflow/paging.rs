//! Following `next_page_token` so that a broken or hostile server cannot keep
//! a search going: an empty page that still names a next one, a token seen
//! before (two alternating tokens included), or more pages than
//! `max_pages` end the search with an error saying which.

use std::collections::HashSet;

use crate::registry::{RegistryError, Result};

pub(super) struct Pager<'a> {
    what: &'a str,
    token: Option<String>,
    seen: HashSet<String>,
    pages: u32,
    max_pages: u32,
}

impl<'a> Pager<'a> {
    pub(super) fn new(what: &'a str, max_pages: u32) -> Self {
        Pager {
            what,
            token: None,
            seen: HashSet::new(),
            pages: 1,
            max_pages: max_pages.max(1),
        }
    }

    /// The token to send for the next page (`None` for the first).
    pub(super) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// After a page of `items` entries that named `next`: whether to go on.
    pub(super) fn advance(&mut self, items: usize, next: Option<String>) -> Result<bool> {
        let Some(next) = next.filter(|t| !t.is_empty()) else {
            return Ok(false);
        };
        let what = self.what;
        let problem = if items == 0 {
            Some("an empty page that still names a next page".to_owned())
        } else if !self.seen.insert(next.clone()) {
            Some(format!(
                "a page token it had already sent (after {} pages), which would repeat pages forever",
                self.pages
            ))
        } else if self.pages >= self.max_pages {
            return Err(RegistryError::InvalidResponse {
                message: format!(
                    "{what}: the server still had more after {} pages; raise [mlflow] max_pages if the registry is that large, or narrow the search",
                    self.max_pages
                ),
            });
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(RegistryError::InvalidResponse {
                message: format!(
                    "{what}: the server sent {problem}; modelgate stopped paging (is the server, or a proxy before it, broken?)"
                ),
            });
        }
        self.token = Some(next);
        self.pages += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_paging_stops() {
        let mut p = Pager::new("s", 100);
        assert!(p.advance(3, Some("a".into())).unwrap());
        assert!(p.advance(3, Some("b".into())).unwrap());
        let e = p.advance(3, Some("a".into())).unwrap_err().to_string();
        assert!(e.contains("already sent"), "{e}");
        let e = Pager::new("s", 100)
            .advance(0, Some("x".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty page"), "{e}");
        let mut p = Pager::new("s", 2);
        assert!(p.advance(1, Some("1".into())).unwrap());
        let e = p.advance(1, Some("2".into())).unwrap_err().to_string();
        assert!(e.contains("max_pages"), "{e}");
        assert!(!Pager::new("s", 1).advance(0, Some(String::new())).unwrap());
        assert!(!Pager::new("s", 1).advance(5, None).unwrap());
    }
}
