use serde::{Deserialize, Serialize};

/// A country, as an ISO 3166-1 alpha-2 code, used as the default region for phone numbers typed
/// without a country prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Country(phonenumber::country::Id);

/// Why a string is not a country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an ISO 3166-1 alpha-2 country code")]
pub struct CountryError(pub String);

impl Country {
    pub const SWEDEN: Country = Country(phonenumber::country::Id::SE);
    pub const CZECHIA: Country = Country(phonenumber::country::Id::CZ);

    pub fn parse(code: &str) -> Result<Self, CountryError> {
        code.trim()
            .to_uppercase()
            .parse::<phonenumber::country::Id>()
            .map(Self)
            .map_err(|_| CountryError(code.to_owned()))
    }

    pub fn code(&self) -> String {
        let code: &str = self.0.as_ref();
        code.to_owned()
    }
}

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("'{0}' is not a valid phone number")]
    Invalid(String),
}

/// A phone number in E.164 form (`+46701234567`), whatever way it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses a number typed in any usual format; numbers without a country prefix are read as
    /// numbers of `default_region` (the company's country).
    pub fn parse(input: &str, default_region: Country) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let invalid = || PhoneError::Invalid(trimmed.to_owned());
        // An international prefix written as 00 is as common as '+' in Europe.
        let prepared = match trimmed.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => trimmed.to_owned(),
        };
        let number = phonenumber::parse(Some(default_region.0), &prepared).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// Wraps a value already stored in E.164 form.
    pub fn from_e164_unchecked(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits after the '+'.
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }

    /// The national significant number (what people type without a country prefix and without a
    /// trunk '0'), used so a partially typed local number still finds the contact.
    pub fn national_digits(&self) -> Option<String> {
        let number = phonenumber::parse(None, &self.0).ok()?;
        Some(number.national().value().to_string())
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn country(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    #[test]
    fn parses_each_market_in_local_and_international_form() {
        let cases = [
            ("SE", "070-123 45 67", "+46701234567"),
            ("SE", "+46 70 123 45 67", "+46701234567"),
            ("CZ", "601 234 567", "+420601234567"),
            ("CZ", "00420 601 234 567", "+420601234567"),
            ("RU", "8 (912) 345-67-89", "+79123456789"),
            ("RU", "+7 912 345 67 89", "+79123456789"),
            ("BR", "(11) 91234-5678", "+5511912345678"),
            // A foreign number typed with its prefix keeps its own country.
            ("CZ", "+46 70 123 45 67", "+46701234567"),
        ];
        for (region, input, expected) in cases {
            let phone = Phone::parse(input, country(region)).unwrap();
            assert_eq!(phone.as_str(), expected, "{region} {input}");
        }
    }

    #[test]
    fn national_digits_drop_prefix_and_trunk_zero() {
        let phone = Phone::parse("070-123 45 67", country("SE")).unwrap();
        assert_eq!(phone.national_digits().as_deref(), Some("701234567"));
    }

    #[test]
    fn rejects_non_numbers() {
        assert_eq!(Phone::parse("  ", country("SE")), Err(PhoneError::Empty));
        assert!(Phone::parse("hello", country("SE")).is_err());
        assert!(Phone::parse("123", country("CZ")).is_err());
    }

    proptest! {
        /// However a valid Czech mobile number is punctuated, it normalises to the same E.164.
        #[test]
        fn punctuation_does_not_matter(digits in "[67][0-9]{8}", seps in proptest::collection::vec("[ ./-]{0,2}", 9)) {
            let mut typed = String::new();
            for (d, s) in digits.chars().zip(seps.iter()) {
                typed.push(d);
                typed.push_str(s);
            }
            let plain = Phone::parse(&digits, country("CZ"));
            let punctuated = Phone::parse(&typed, country("CZ"));
            prop_assert_eq!(plain.clone().ok(), punctuated.ok());
            if let Ok(p) = plain {
                prop_assert_eq!(p.as_str(), format!("+420{digits}"));
                // E.164 is a fixed point.
                prop_assert_eq!(Phone::parse(p.as_str(), country("SE")).ok(), Some(p));
            }
        }
    }
}
