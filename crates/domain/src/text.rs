//! Text folding for search: lower case, no diacritics, so that "Dvořák", "DVORAK" and "dvorak"
//! are the same word to the caller lookup.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text to lower case without diacritics. Letters that do not decompose into a base letter
/// and a mark (ø, ł, ß, æ, đ, …) are mapped to their usual Latin spelling.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.to_lowercase().nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' => out.push('d'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Splits folded text into search words: runs of letters and digits.
pub fn words(input: &str) -> Vec<String> {
    fold(input)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_diacritics_and_case() {
        assert_eq!(fold("Dvořák"), "dvorak");
        assert_eq!(fold("ÅSA Öberg"), "asa oberg");
        assert_eq!(fold("Søren Łukasz Straße"), "soren lukasz strasse");
        assert_eq!(fold("João Conceição"), "joao conceicao");
        assert_eq!(fold("Алёна"), "алена");
    }

    #[test]
    fn splits_words() {
        assert_eq!(words("  Anna-Lena  O'Brien "), vec!["anna", "lena", "o", "brien"]);
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn words_are_folded_and_non_empty(s in "\\PC{0,40}") {
            for w in words(&s) {
                prop_assert!(!w.is_empty());
                prop_assert_eq!(fold(&w), w.clone());
            }
        }
    }
}
