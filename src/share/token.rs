//! Link tokens: 128 random bits from the operating system, written as 22 URL-safe base64
//! characters (`A-Z a-z 0-9 - _`, no padding). A token is the only thing a link carries: it is
//! looked up in the store's index, never turned into a path.
//!
//! In: the OS random source ([`Token::new`]) or a string from a URL ([`Token::parse`]). Out: a
//! [`Token`]. Any thread.

use std::fmt;

/// Random bytes in a token (128 bits).
pub const TOKEN_BYTES: usize = 16;
/// Characters of a written token: ceil(128 / 6).
pub const TOKEN_CHARS: usize = 22;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// An unguessable link token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token([u8; TOKEN_BYTES]);

impl Token {
    /// A new token from the operating system's random source.
    pub fn new() -> Result<Token, String> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers from the operating system: {e}"))?;
        Ok(Token(bytes))
    }

    /// The token written in `text`; None unless it is exactly a token as [`Token`] writes it
    /// (22 characters of the URL-safe alphabet, the last one carrying no stray bits).
    pub fn parse(text: &str) -> Option<Token> {
        let chars = text.as_bytes();
        if chars.len() != TOKEN_CHARS {
            return None;
        }
        let mut bits: u32 = 0;
        let mut held = 0u32;
        let mut out = [0u8; TOKEN_BYTES];
        let mut n = 0;
        for &c in chars {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            bits = (bits << 6) | v;
            held += 6;
            if held >= 8 {
                held -= 8;
                out[n] = (bits >> held) as u8;
                n += 1;
                bits &= (1 << held) - 1;
            }
        }
        // 22 * 6 = 132 bits: the last 4 must be zero, so each token has one spelling
        (n == TOKEN_BYTES && bits == 0).then_some(Token(out))
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bits: u32 = 0;
        let mut held = 0u32;
        let mut text = String::with_capacity(TOKEN_CHARS);
        for &b in &self.0 {
            bits = (bits << 8) | u32::from(b);
            held += 8;
            while held >= 6 {
                held -= 6;
                text.push(ALPHABET[((bits >> held) & 63) as usize] as char);
            }
            bits &= (1 << held) - 1;
        }
        if held > 0 {
            text.push(ALPHABET[((bits << (6 - held)) & 63) as usize] as char);
        }
        f.write_str(&text)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // a token is a secret: never in logs whole
        let text = self.to_string();
        write!(f, "Token({}…)", &text[..4])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_22_url_safe_characters_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let t = Token::new().unwrap();
            let text = t.to_string();
            assert_eq!(text.len(), TOKEN_CHARS, "{text}");
            assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'), "{text}");
            assert_eq!(Token::parse(&text), Some(t));
            assert!(seen.insert(text), "a token repeated");
        }
        let zero = Token([0; TOKEN_BYTES]);
        assert_eq!(zero.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        let ones = Token([255; TOKEN_BYTES]);
        assert_eq!(ones.to_string(), "_____________________w");
    }

    #[test]
    fn anything_else_is_not_a_token() {
        let good = Token::new().unwrap().to_string();
        for bad in [
            "",
            "..",
            "AAAAAAAAAAAAAAAAAAAAA",   // 21
            "AAAAAAAAAAAAAAAAAAAAAAA", // 23
            "AAAAAAAAAAAAAAAAAAAAAB",  // stray bits in the last character
            "AAAAAAAAAAAAAAAAAAAA%2F",
            "AAAAAAAAAAAAAAAAAAAA/A",
            "AAAAAAAAAAAAAAAAAAAA.A",
            "AAAAAAAAAAAAAAAAAAAA+A",
            "ÄAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(Token::parse(bad), None, "{bad:?}");
        }
        assert!(!format!("{:?}", Token::parse(&good).unwrap()).contains(&good[4..]), "Debug hides the token");
    }
}
