//! `modelgate/model_card.md`: the model card, as Markdown.

use serde::Serialize;

use super::{Report, check_size};

/// `modelgate/model_card.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCard {
    pub markdown: String,
}

pub fn parse_model_card(file: &str, bytes: &[u8]) -> Report<ModelCard> {
    let parsed = check_size(file, bytes).and_then(|()| {
        std::str::from_utf8(bytes)
            .map(|text| ModelCard {
                markdown: text.to_owned(),
            })
            .map_err(|e| format!("{file}: not valid UTF-8: {e}"))
    });
    match parsed {
        Ok(card) if card.markdown.trim().is_empty() => Report::empty(file, "is blank"),
        r => Report::from_result(r),
    }
}
