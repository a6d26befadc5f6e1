//! Reading answers: capped in bytes, kept as the chunks they arrived in.

use std::io::Read;

pub(super) enum BodyError {
    TooLarge(u64),
    Read(reqwest::Error),
}

/// A body read in chunks, handed to the parser as a reader that frees each
/// chunk once consumed: the raw bytes and the parsed values are not both
/// held whole.
pub(super) struct Chunks {
    parts: std::collections::VecDeque<Vec<u8>>,
    at: usize,
    len: usize,
}

impl Chunks {
    pub(super) fn len(&self) -> usize {
        self.len
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(front) = self.parts.front() {
            if self.at < front.len() {
                let n = buf.len().min(front.len() - self.at);
                buf[..n].copy_from_slice(&front[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            self.parts.pop_front();
            self.at = 0;
        }
        Ok(0)
    }
}

/// Reads a body, refusing it once it passes `max` (the declared length is
/// checked first, so an announced 50 MB answer is not read at all).
pub(super) async fn read_capped(
    mut resp: reqwest::Response,
    max: u64,
) -> std::result::Result<Chunks, BodyError> {
    if let Some(len) = resp.content_length()
        && len > max
    {
        return Err(BodyError::TooLarge(len));
    }
    let mut parts = std::collections::VecDeque::new();
    let mut total = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        total += chunk.len() as u64;
        if total > max {
            return Err(BodyError::TooLarge(total));
        }
        parts.push_back(chunk.to_vec());
    }
    Ok(Chunks {
        parts,
        at: 0,
        len: usize::try_from(total).unwrap_or(usize::MAX),
    })
}
