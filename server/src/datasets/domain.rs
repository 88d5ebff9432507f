//! Datasets, their tables and their data dictionary: plain types and rules. No I/O.

/// A dataset's name: 2 to 64 characters of lower-case letters, digits, `_` and `-`, starting
/// with a letter. It names the dataset in the catalogue and in object keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetName(String);

impl DatasetName {
    /// Parses a dataset name.
    pub fn parse(input: &str) -> Result<Self, crate::i18n::Says> {
        let s = input.trim();
        let ok = (2..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok { Ok(Self(s.to_string())) } else { Err(crate::says!("invalid-dataset-name", value = s)) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A table's name, taken from its file name: a letter, then letters, digits or `_`, up to 63.
/// Upper case is folded, so `Drug_Exposure.csv` becomes `drug_exposure`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName(String);

impl TableName {
    /// Parses a table name.
    pub fn parse(input: &str) -> Result<Self, crate::i18n::Says> {
        let s = input.trim().to_lowercase();
        let ok = (1..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok { Ok(Self(s)) } else { Err(crate::says!("invalid-table-name", value = input)) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How identifying a column is, as the custodian classes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnClass {
    /// Identifies a person on its own (a person id, a name, an insurance number).
    Identifier,
    /// Identifies in combination (birth year, sex, region, dates).
    QuasiIdentifier,
    /// Sensitive in itself (diagnoses, drugs, results).
    Sensitive,
    /// Anything else.
    Other,
}

impl ColumnClass {
    /// Every class, in display order.
    pub const ALL: [ColumnClass; 4] =
        [ColumnClass::Identifier, ColumnClass::QuasiIdentifier, ColumnClass::Sensitive, ColumnClass::Other];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnClass::Identifier => "identifier",
            ColumnClass::QuasiIdentifier => "quasi_identifier",
            ColumnClass::Sensitive => "sensitive",
            ColumnClass::Other => "other",
        }
    }

    /// Shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            ColumnClass::Identifier => "Identifier",
            ColumnClass::QuasiIdentifier => "Quasi-identifier",
            ColumnClass::Sensitive => "Sensitive",
            ColumnClass::Other => "Other",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A column's description: up to 1,000 characters, no control characters but line breaks.
pub fn parse_description(s: &str) -> Result<String, crate::i18n::Says> {
    let s = s.trim();
    if s.chars().count() > 1000 || s.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(crate::says!("invalid-description"));
    }
    Ok(s.to_string())
}

/// A count as shown in the catalogue: rounded so that small groups are not exact. Below 10 it
/// says "fewer than 10"; otherwise two significant figures.
pub fn rounded_count(n: i64) -> String {
    if n < 10 {
        return "fewer than 10".into();
    }
    let magnitude = 10_i64.pow((n as f64).log10().floor() as u32);
    let step = (magnitude / 10).max(1);
    let rounded = ((n + step / 2) / step) * step;
    let digits = rounded.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("about {out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let check = |input: &str, ok: bool| assert_eq!(DatasetName::parse(input).is_ok(), ok, "{input:?}");
        check("mid-net_2026", true);
        check("a", false);
        check("2026data", false);
        check("Claims", false);
        check("../etc", false);
        assert_eq!(TableName::parse("Drug_Exposure").unwrap().as_str(), "drug_exposure");
        assert!(TableName::parse("drug-exposure").is_err());
        assert!(TableName::parse("1table").is_err());
    }

    #[test]
    fn counts_are_rounded() {
        let check = |n: i64, expected: &str| assert_eq!(rounded_count(n), expected, "{n}");
        check(0, "fewer than 10");
        check(9, "fewer than 10");
        check(10, "about 10");
        check(14, "about 14");
        check(137, "about 140");
        check(20_412, "about 20,000");
        check(21_182_022, "about 21,000,000");
    }
}
