//! Reading a brokerage's register from a spreadsheet export (CSV): the separator is sniffed, each
//! column is mapped to a contact field (suggested from its header in any of the app's
//! languages), and each row becomes a contact's input, validated by the contact rules.

use serde::{Deserialize, Serialize};

use crate::contacts::ContactInput;
use crate::limits::has_control_characters;
use crate::text;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Kind,
    FirstName,
    LastName,
    /// "First Last" in one column: the last word is the surname.
    FullName,
    AgencyName,
    Phone,
    Email,
    Street,
    PostalCode,
    City,
    Country,
    /// The owner's email (or name): who the contact goes to.
    Owner,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Self::Kind,
        Self::FirstName,
        Self::LastName,
        Self::FullName,
        Self::AgencyName,
        Self::Phone,
        Self::Email,
        Self::Street,
        Self::PostalCode,
        Self::City,
        Self::Country,
        Self::Owner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::FullName => "full_name",
            Self::AgencyName => "agency_name",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Street => "street",
            Self::PostalCode => "postal_code",
            Self::City => "city",
            Self::Country => "country",
            Self::Owner => "owner",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == value)
    }

    /// The field a header names, in English, Swedish, Czech, Russian or Portuguese.
    pub fn suggest(header: &str) -> Option<Self> {
        let h: String = text::fold(header).chars().filter(|c| c.is_alphanumeric()).collect();
        const WORDS: &[(&[&str], Field)] = &[
            (&["kind", "type", "typ", "tip", "tipo", "kontakttyp"], Field::Kind),
            (
                &[
                    "firstname",
                    "givenname",
                    "fornamn",
                    "jmeno",
                    "krestnijmeno",
                    "imia",
                    "imya",
                    "nome",
                    "primeironome",
                ],
                Field::FirstName,
            ),
            (
                &[
                    "lastname",
                    "surname",
                    "familyname",
                    "efternamn",
                    "prijmeni",
                    "familiia",
                    "familiya",
                    "sobrenome",
                    "ultimonome",
                ],
                Field::LastName,
            ),
            (
                &[
                    "name",
                    "fullname",
                    "namn",
                    "fulltnamn",
                    "celejmeno",
                    "jmenoaprijmeni",
                    "fio",
                    "nomecompleto",
                    "kontakt",
                    "contact",
                ],
                Field::FullName,
            ),
            (
                &[
                    "agency",
                    "agencyname",
                    "company",
                    "foretag",
                    "maklarforetag",
                    "firma",
                    "kancelar",
                    "agentstvo",
                    "kompaniia",
                    "imobiliaria",
                    "empresa",
                ],
                Field::AgencyName,
            ),
            (
                &[
                    "phone",
                    "telephone",
                    "mobile",
                    "cell",
                    "tel",
                    "telefon",
                    "mobil",
                    "mobiltelefon",
                    "telefonnummer",
                    "gsm",
                    "telefonnicislo",
                    "mobilnitelefon",
                    "telefono",
                    "celular",
                    "fone",
                ],
                Field::Phone,
            ),
            (
                &["email", "mail", "epost", "emailadress", "emailaddress", "pochta", "elpochta"],
                Field::Email,
            ),
            (
                &[
                    "street",
                    "address",
                    "adress",
                    "gatuadress",
                    "ulice",
                    "adresa",
                    "ulitsa",
                    "adres",
                    "rua",
                    "endereco",
                    "logradouro",
                ],
                Field::Street,
            ),
            (
                &[
                    "postalcode",
                    "postcode",
                    "zip",
                    "zipcode",
                    "postnummer",
                    "psc",
                    "indeks",
                    "pochtovyiindeks",
                    "cep",
                ],
                Field::PostalCode,
            ),
            (
                &[
                    "city",
                    "town",
                    "ort",
                    "postort",
                    "stad",
                    "mesto",
                    "obec",
                    "gorod",
                    "cidade",
                    "municipio",
                ],
                Field::City,
            ),
            (&["country", "land", "zeme", "stat", "strana", "pais"], Field::Country),
            (
                &[
                    "owner",
                    "broker",
                    "agent",
                    "agar",
                    "maklare",
                    "ansvarig",
                    "vlastnik",
                    "makler",
                    "makleri",
                    "otvetstvennyi",
                    "agente",
                    "corretor",
                    "responsavel",
                ],
                Field::Owner,
            ),
        ];
        // Cyrillic headers fold to Cyrillic; compare a transliteration too.
        let latin = transliterate(&h);
        WORDS
            .iter()
            .find(|(words, _)| words.iter().any(|w| *w == h || *w == latin))
            .map(|(_, f)| *f)
    }
}

/// A rough Latin spelling of Russian letters, enough to recognise column headers.
fn transliterate(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' | 'щ' => "sh",
            'ы' => "y",
            'ю' => "iu",
            'я' => "ia",
            'ъ' | 'ь' => "",
            _ => "",
        })
        .collect::<String>()
        + &s.chars().filter(|c| c.is_ascii()).collect::<String>()
}

/// Why a file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is not UTF-8 text: save it as \"CSV UTF-8\"")]
    NotUtf8,
    #[error("the file is empty")]
    Empty,
    #[error("the file has more than {0} rows")]
    TooManyRows(usize),
    #[error("the file has more than {0} columns")]
    TooManyColumns(usize),
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
}

/// Rows of one file at most.
pub const MAX_ROWS: usize = 1_000_000;
/// Columns of one file at most.
pub const MAX_COLUMNS: usize = 100;

/// A CSV file being read, a row at a time (a register of a million contacts is never held in
/// memory whole).
pub struct SheetReader<'a> {
    pub delimiter: u8,
    pub headers: Vec<String>,
    reader: csv::Reader<&'a [u8]>,
    rows: usize,
}

/// The separator a file uses: the one of `,` `;` and tab that splits the header line most.
pub fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.matches(*d as char).count())
        .unwrap_or(b',')
}

fn malformed(e: csv::Error) -> FileError {
    FileError::Malformed {
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: e.to_string(),
    }
}

impl<'a> SheetReader<'a> {
    /// Opens a file: UTF-8 (a byte-order mark is skipped), its first row the headers.
    pub fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(FileError::Empty);
        }
        let delimiter = sniff_delimiter(text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().map_err(malformed)?.iter().map(|h| h.trim().to_owned()).collect();
        if headers.len() > MAX_COLUMNS {
            return Err(FileError::TooManyColumns(MAX_COLUMNS));
        }
        Ok(Self {
            delimiter,
            headers,
            reader,
            rows: 0,
        })
    }

    /// The next non-blank row, or `None` at the end.
    pub fn next_row(&mut self) -> Option<Result<Vec<String>, FileError>> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Err(e) => return Some(Err(malformed(e))),
                Ok(false) => return None,
                Ok(true) if record.iter().all(|f| f.trim().is_empty()) => continue,
                Ok(true) => {
                    if self.rows == MAX_ROWS {
                        return Some(Err(FileError::TooManyRows(MAX_ROWS)));
                    }
                    self.rows += 1;
                    return Some(Ok(record.iter().take(MAX_COLUMNS).map(str::to_owned).collect()));
                }
            }
        }
    }
}

/// A file's headers, row count and first rows: read through once, nothing kept but those.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetSummary {
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub rows: usize,
    pub sample: Vec<Vec<String>>,
}

pub fn summarize(bytes: &[u8], sample: usize) -> Result<SheetSummary, FileError> {
    let mut reader = SheetReader::open(bytes)?;
    let mut out = SheetSummary {
        delimiter: reader.delimiter,
        headers: reader.headers.clone(),
        rows: 0,
        sample: Vec::new(),
    };
    while let Some(row) = reader.next_row() {
        let row = row?;
        if out.sample.len() < sample {
            out.sample.push(row);
        }
        out.rows += 1;
    }
    Ok(out)
}

/// Which field each column holds (`None`: ignored).
pub type Mapping = Vec<Option<Field>>;

/// The suggested mapping of a file's headers.
pub fn suggest_mapping(headers: &[String]) -> Mapping {
    let mut taken = Vec::new();
    headers
        .iter()
        .map(|h| {
            let f = Field::suggest(h)?;
            // Phones and emails may come in several columns; other fields once.
            if matches!(f, Field::Phone | Field::Email) || !taken.contains(&f) {
                taken.push(f);
                Some(f)
            } else {
                None
            }
        })
        .collect()
}

/// A row's contact, and the owner it names (if the file has an owner column).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowInput {
    pub contact: ContactInput,
    pub owner: Option<String>,
    /// Cells holding control characters, by column header.
    pub bad_cells: Vec<String>,
}

/// Turns one row into a contact's input by the mapping; `default_kind` when no column says.
pub fn row_input(headers: &[String], mapping: &Mapping, row: &[String], default_kind: &str) -> RowInput {
    let mut out = RowInput::default();
    let mut c = ContactInput {
        kind: Some(default_kind.to_owned()),
        ..ContactInput::default()
    };
    for (i, field) in mapping.iter().enumerate() {
        let (Some(field), Some(value)) = (field, row.get(i)) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if has_control_characters(value) {
            out.bad_cells
                .push(headers.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1)));
            continue;
        }
        let v = Some(value.to_owned());
        match field {
            Field::Kind => c.kind = Some(kind_code(value)),
            Field::FirstName => c.first_name = v,
            Field::LastName => c.last_name = v,
            Field::FullName => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if let Some((last, first)) = parts.split_last() {
                    c.last_name = Some((*last).to_owned());
                    if !first.is_empty() {
                        c.first_name = Some(first.join(" "));
                    }
                }
            }
            Field::AgencyName => c.agency_name = v,
            // A cell may hold several numbers or addresses.
            Field::Phone => c
                .phones
                .extend(value.split([';', '/', '|']).map(|p| p.trim().to_owned()).filter(|p| !p.is_empty())),
            Field::Email => c.emails.extend(
                value
                    .split([';', ',', ' ', '|'])
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty()),
            ),
            Field::Street => c.street = v,
            Field::PostalCode => c.postal_code = v,
            Field::City => c.city = v,
            Field::Country => c.country = v,
            Field::Owner => out.owner = v,
        }
    }
    out.contact = c;
    out
}

/// A kind as written in a file: the code, or its name in one of the app's languages.
fn kind_code(value: &str) -> String {
    let v: String = text::fold(value).chars().filter(|c| c.is_alphanumeric()).collect();
    let code = match v.as_str() {
        "agency" | "maklarforetag" | "maklarbyra" | "realitnikancelar" | "rk" | "agentstvo" | "imobiliaria" => "agency",
        "verified" | "verifierad" | "verifieradkund" | "overeny" | "overenyklient" | "proverennyi" | "verificado" => "verified",
        "standard" | "standardkontakt" | "standardni" | "obychnyi" | "padrao" => "standard",
        "draft" | "utkast" | "koncept" | "rozpracovany" | "chernovik" | "rascunho" => "draft",
        _ => return value.trim().to_lowercase(),
    };
    code.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_understood_in_every_language() {
        let headers: Vec<String> = [
            "Förnamn",
            "Efternamn",
            "Mobil",
            "E-post",
            "Příjmení",
            "Телефон",
            "Nome completo",
            "Ansvarig mäklare",
            "Ort",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = suggest_mapping(&headers);
        use Field::*;
        assert_eq!(
            m,
            vec![
                Some(FirstName),
                Some(LastName),
                Some(Phone),
                Some(Email),
                None,
                Some(Phone),
                Some(FullName),
                None,
                Some(City)
            ]
        );
        assert_eq!(Field::suggest("Фамилия"), Some(LastName));
        assert_eq!(Field::suggest("Owner"), Some(Owner));
    }

    #[test]
    fn semicolon_files_with_a_bom_read() {
        let file = "\u{feff}Förnamn;Efternamn;Telefon\nAnna;Berg;070-123 45 67\n;;\nErik;\"Lind; Jr\";08-555 000 11\n";
        let sheet = summarize(file.as_bytes(), 10).unwrap();
        assert_eq!(sheet.delimiter, b';');
        assert_eq!(sheet.headers, ["Förnamn", "Efternamn", "Telefon"]);
        assert_eq!(sheet.rows, 2, "blank rows are skipped");
        assert_eq!(sheet.sample[1][1], "Lind; Jr");
        assert_eq!(summarize(b"\xff\xfe", 1), Err(FileError::NotUtf8));
        assert_eq!(summarize(b"  \n", 1), Err(FileError::Empty));
    }

    #[test]
    fn rows_become_contacts() {
        let headers: Vec<String> = ["Name", "Phones", "Type", "Owner"].iter().map(|s| s.to_string()).collect();
        let mapping = vec![Some(Field::FullName), Some(Field::Phone), Some(Field::Kind), Some(Field::Owner)];
        let row: Vec<String> = ["Anna Maria Berg", "070-1 / +46 8 555", "Verifierad kund", "erik@x.se"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = row_input(&headers, &mapping, &row, "standard");
        assert_eq!(r.contact.first_name.as_deref(), Some("Anna Maria"));
        assert_eq!(r.contact.last_name.as_deref(), Some("Berg"));
        assert_eq!(r.contact.phones, ["070-1", "+46 8 555"]);
        assert_eq!(r.contact.kind.as_deref(), Some("verified"));
        assert_eq!(r.owner.as_deref(), Some("erik@x.se"));
        let bad: Vec<String> = ["X\u{0}", "", "", ""].iter().map(|s| s.to_string()).collect();
        assert_eq!(row_input(&headers, &mapping, &bad, "draft").bad_cells, ["Name"]);
    }
}
