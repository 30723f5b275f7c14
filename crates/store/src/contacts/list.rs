//! The contact list: every sort and filter a page at a time by keyset, with plans driven by
//! indexes whatever the planner's statistics say.
//!
//! The visible set is a union of branches, each an exact range of one index in sort order
//! (everything; one owner's; one class's; one office's), so a page reads at most a page per
//! branch. A text filter is driven by the search index when its rarest word is rare enough: its
//! name tokens carry what visibility and the exact total need, so one contiguous range is read,
//! and are indexed by word and sort name, so the page is merged from a page of each word it
//! starts. A word too common to count gets a total estimated from a sample, and says so; its
//! page is merged the same way for a viewer who sees everyone, and is otherwise the first rows
//! of the walk that match. Totals without text come from per-owner counts, exact.

use chrono::{DateTime, Utc};
use crm_domain::contacts::{ContactKind, Country, LookupQuery, PAIR_PREFIX, SearchTokenKind};
use crm_domain::permissions::{ClassSet, Reach, Viewer, Visibility};
use crm_domain::{CompanyId, OfficeId, UserId};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult, TransactionTrait};
use uuid::Uuid;

use super::ContactRecord;
use crate::sql::{Sql, like_escape};
use crate::{Store, StoreError, prefix_upper};
use crm_migration::m0017_word_order::WORD_ORDER;

/// A name word's range is read whole when it has at most this many entries.
const TOKEN_CAP: i64 = 20_000;
/// Phone or email prefix matches (and name matches sorted by last change) are fetched by id
/// when there are at most this many.
const ID_CAP: u64 = 1_000;
/// A search by two words is answered from the contacts their pair finds when there are at most
/// this many: each checked by a key probe and only the page read whole, fewer probes than the
/// rows a walk of the visible contacts reads when both words are common. (Whoever sees every
/// contact gets such a page merged from the words' entries past [`ID_CAP`] contacts, faster
/// than probing them, and the exact total of the pair.)
const PAIR_CAP: u64 = 5_000;
/// Rows sampled to estimate the total of a text search answered by a walk.
const SAMPLE: i64 = 1_000;
/// A page of a search by a name word is merged from the pages of at most this many words that
/// start with it (a range holding more is sorted whole).
const MERGE_CAP: usize = 64;

/// A name word's range, read whole.
#[derive(Debug, Default)]
struct WordRange {
    /// The words in it some entry of which makes the page.
    words: Vec<String>,
    /// How many contacts make the page.
    total: i64,
}

/// How a contact list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSort {
    #[default]
    NameAsc,
    NameDesc,
    CreatedAsc,
    CreatedDesc,
    UpdatedAsc,
    UpdatedDesc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Created,
    Updated,
}

impl ContactSort {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "name" => Self::NameAsc,
            "-name" => Self::NameDesc,
            "created_at" => Self::CreatedAsc,
            "-created_at" => Self::CreatedDesc,
            "updated_at" => Self::UpdatedAsc,
            "-updated_at" => Self::UpdatedDesc,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::CreatedAsc => "created_at",
            Self::CreatedDesc => "-created_at",
            Self::UpdatedAsc => "updated_at",
            Self::UpdatedDesc => "-updated_at",
        }
    }

    fn key(self) -> Key {
        match self {
            Self::NameAsc | Self::NameDesc => Key::Name,
            Self::CreatedAsc | Self::CreatedDesc => Key::Created,
            Self::UpdatedAsc | Self::UpdatedDesc => Key::Updated,
        }
    }

    fn desc(self) -> bool {
        matches!(self, Self::NameDesc | Self::CreatedDesc | Self::UpdatedDesc)
    }

    /// The column ordered by (creation order is id order: ids are time-ordered).
    fn column(self) -> &'static str {
        match self.key() {
            Key::Name => "sort_name",
            Key::Created => "id",
            Key::Updated => "updated_at",
        }
    }
}

/// Where a page starts: the last row of the page before, in its sort.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub sort: ContactSort,
    pub name: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub id: Uuid,
    /// The estimated total of the first page, when it was one: the later pages show it again
    /// instead of estimating anew (the same number on every page, and no sample read).
    pub estimate: Option<u64>,
}

impl Cursor {
    fn after(sort: ContactSort, c: &ContactRecord) -> Self {
        Self {
            sort,
            name: (sort.key() == Key::Name).then(|| c.data.sort_name()),
            updated: (sort.key() == Key::Updated).then_some(c.updated_at),
            id: c.id.0,
            estimate: None,
        }
    }

    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        let value = match self.sort.key() {
            Key::Name => self.name.clone().unwrap_or_default(),
            Key::Updated => self
                .updated
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
                .unwrap_or_default(),
            Key::Created => String::new(),
        };
        let mut raw = format!("{}\u{1f}{}\u{1f}{}", self.sort.as_str(), self.id.simple(), value);
        if let Some(n) = self.estimate {
            raw.push_str(&format!("\u{1f}{n}"));
        }
        crate::encoding::to_base64url(raw.as_bytes())
    }

    /// Reads a cursor of `sort`; a cursor of another sort or a damaged one is refused.
    pub fn decode(text: &str, sort: ContactSort) -> Result<Self, StoreError> {
        let invalid = || StoreError::invalid("cursor", "invalid_cursor", "the cursor is not one this list gave out");
        let raw = crate::encoding::from_base64url(text).ok_or_else(invalid)?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        // Sort, id, key value and (for a search whose total was estimated) that estimate; no
        // part holds the separator (control characters are refused in every text).
        let mut parts = raw.splitn(4, '\u{1f}');
        let (Some(s), Some(id), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let estimate = parts.next().map(|n| n.parse::<u64>().map_err(|_| invalid())).transpose()?;
        if s != sort.as_str() {
            return Err(StoreError::invalid(
                "cursor",
                "invalid_cursor",
                "the cursor belongs to another sort order",
            ));
        }
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        let (name, updated) = match sort.key() {
            Key::Name => (Some(value.to_owned()), None),
            Key::Updated => (
                None,
                Some(DateTime::parse_from_rfc3339(value).map_err(|_| invalid())?.with_timezone(&Utc)),
            ),
            Key::Created => (None, None),
        };
        Ok(Self {
            sort,
            name,
            updated,
            id,
            estimate,
        })
    }
}

/// Filters of the contact list; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    pub owner_id: Option<UserId>,
    pub office_id: Option<OfficeId>,
    /// Words; each must start a word the contact is found by (name words, emails, phone
    /// digits). A phone in any format or an email is read as such.
    pub text: Option<String>,
}

/// A page of contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPage {
    pub items: Vec<ContactRecord>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
    /// How many contacts match in all.
    pub total: u64,
    /// False when `total` is an estimate (a text search over very many contacts).
    pub total_exact: bool,
}

impl ContactPage {
    /// No contact at all, exactly.
    fn empty() -> Self {
        Self {
            items: Vec::new(),
            next: None,
            total: 0,
            total_exact: true,
        }
    }
}

/// What a text filter asks of a contact's search words.
#[derive(Debug, Clone)]
enum Text {
    /// Every word starts some search word.
    All(Vec<String>),
    /// Some prefix starts some search word (the readings of a phone, an email).
    Any(Vec<String>),
}

/// One list request, understood.
struct Plan {
    company: CompanyId,
    reach: Reach,
    /// Classes the kind filter allows.
    allowed: ClassSet,
    kind_filtered: bool,
    owner: Option<UserId>,
    office: Option<OfficeId>,
    text: Option<(Text, LookupQuery)>,
    sort: ContactSort,
}

/// An index family a branch walks.
#[derive(Debug, Clone, Copy)]
enum Family {
    All,
    Owner(UserId),
    Class(i16),
    Office(OfficeId),
}

/// Column names of the table a condition is written for.
struct Cols {
    owner: &'static str,
    office: &'static str,
    class: &'static str,
    words: &'static str,
}

const CONTACTS: Cols = Cols {
    owner: "owner_id",
    office: "office_id",
    class: "class",
    words: "search_words",
};

impl Plan {
    /// The visibility policy as a disjunction of what the reach admits, and `)`.
    fn visibility(&self, sql: &mut Sql, cols: &Cols) {
        let mut first = true;
        let mut or = |sql: &mut Sql| {
            if !first {
                sql.push(" OR ");
            }
            first = false;
        };
        if !self.reach.anywhere.is_empty() {
            or(sql);
            sql.push(cols.class).push(" IN ").bind_list(self.reach.anywhere.iter());
        }
        for (office, classes) in &self.reach.offices {
            or(sql);
            sql.push("(")
                .push(cols.office)
                .push(" = ")
                .bind(office.0)
                .push(" AND ")
                .push(cols.class)
                .push(" IN ")
                .bind_list(classes.iter())
                .push(")");
        }
        if let Some(owner) = self.reach.owner {
            or(sql);
            sql.push(cols.owner).push(" = ").bind(owner.0);
        }
        if first {
            sql.push("1 = 0");
        }
        sql.push(")");
    }

    /// `AND …` for everything the page must satisfy but the branch's own index range: the
    /// visibility policy, the filters and (when `text`) the text.
    fn residual(&self, sql: &mut Sql, cols: &Cols, text: bool) {
        sql.push(" AND (");
        if self.reach.anywhere == ClassSet::ALL {
            // Whoever sees every class anywhere sees every row: nothing to check on each.
            sql.push("1 = 1)");
        } else {
            self.visibility(sql, cols);
        }
        if self.kind_filtered {
            sql.push(" AND ").push(cols.class).push(" IN ").bind_list(self.allowed.iter());
        }
        if let Some(owner) = self.owner {
            sql.push(" AND ").push(cols.owner).push(" = ").bind(owner.0);
        }
        if let Some(office) = self.office {
            sql.push(" AND ").push(cols.office).push(" = ").bind(office.0);
        }
        if text && let Some((t, _)) = &self.text {
            text_condition(sql, cols.words, t);
        }
    }

    /// Whether every contact of the company is on the list but for the text.
    fn unfiltered(&self) -> bool {
        self.reach.anywhere == ClassSet::ALL && !self.kind_filtered && self.owner.is_none() && self.office.is_none()
    }

    /// The index branches whose union is the visible, filtered set.
    fn branches(&self) -> Vec<Family> {
        if let Some(owner) = self.owner {
            return vec![Family::Owner(owner)];
        }
        if let Some(office) = self.office {
            return vec![Family::Office(office)];
        }
        let anywhere = self.reach.anywhere.intersect(self.allowed);
        if !self.kind_filtered && anywhere == ClassSet::ALL {
            return vec![Family::All];
        }
        let mut out: Vec<Family> = anywhere.iter().map(Family::Class).collect();
        for (office, classes) in &self.reach.offices {
            if !classes.intersect(self.allowed).is_empty() {
                out.push(Family::Office(*office));
            }
        }
        // One's own contacts need a branch of their own only where they may be of a class not
        // seen anywhere: otherwise the class branches hold them already.
        if let Some(owner) = self.reach.owner
            && !self.allowed.minus(self.reach.anywhere).is_empty()
        {
            out.push(Family::Owner(owner));
        }
        out
    }

    /// One branch: the sort key and id of up to `limit` rows after the cursor, in order.
    fn branch(&self, sql: &mut Sql, family: Family, walk: &Walk<'_>) {
        let Walk {
            order,
            after,
            limit,
            text,
            with_words,
        } = *walk;
        let col = order.column();
        let dir = if order.desc() { "DESC" } else { "ASC" };
        sql.push("SELECT * FROM (SELECT ").push(col).push(" AS k, id");
        if with_words {
            sql.push(", search_words");
        }
        sql.push(" FROM contacts WHERE company_id = ").bind(self.company.0);
        match family {
            Family::All => {}
            Family::Owner(u) => {
                sql.push(" AND owner_id = ").bind(u.0);
            }
            Family::Class(c) => {
                sql.push(" AND class = ").bind(c);
            }
            Family::Office(o) => {
                sql.push(" AND office_id = ").bind(o.0);
            }
        }
        // The branch's own index drives it. Outside a class branch the conditions on the class
        // are written on `class + 0`, which no index holds: otherwise a planner may walk the
        // company's range of a class (every agency, say) and check each row's owner or office.
        let cols = match family {
            Family::Class(_) => &CONTACTS,
            _ => &BY_OTHER_INDEX,
        };
        self.residual(sql, cols, text);
        if let Some(c) = after {
            keyset(sql, order, c, col, "id");
        }
        sql.push(" ORDER BY ").push(col).push(" ").push(dir);
        if col != "id" {
            sql.push(", id ").push(dir);
        }
        sql.push(" LIMIT ").bind(limit).push(")");
    }
}

/// ` FROM` the search tokens of a kind that `prefix` starts: one key range. The kind is written
/// out, not bound: a partial index is used only where the statement implies its condition.
pub(crate) fn token_range(sql: &mut Sql, company: CompanyId, kind: SearchTokenKind, prefix: &str) {
    sql.push(" FROM contact_tokens WHERE company_id = ")
        .bind(company.0)
        .push(&format!(" AND kind = {}", kind.code()))
        .push(" AND token >= ")
        .bind(prefix)
        .push(" AND token < ")
        .bind(prefix_upper(prefix));
}

/// `SELECT contact_id` of the first `limit` entries, in key order, among the first `walk` of a
/// token range, that carry a name word starting with `check` (all of them without one): one
/// key range, no contact row.
pub(crate) fn checked_range(
    sql: &mut Sql,
    company: CompanyId,
    kind: SearchTokenKind,
    prefix: &str,
    walk: i64,
    check: Option<&str>,
    limit: i64,
) {
    sql.push("SELECT contact_id FROM (SELECT token, contact_id, search_words");
    token_range(sql, company, kind, prefix);
    sql.push(" ORDER BY token, contact_id LIMIT ").bind(walk).push(") AS r");
    if let Some(word) = check {
        sql.push(" WHERE search_words LIKE ")
            .bind(format!("% {}%", like_escape(word)))
            .push(" ESCAPE '\\'");
    }
    sql.push(" ORDER BY token, contact_id LIMIT ").bind(limit);
}

impl Plan {
    /// `AND …` for the entries of a word's range (name tokens) that make the page: visibility,
    /// filters, the other words of the text, and of a contact only the entry of its first name
    /// word that `word` starts.
    fn word_entries(&self, sql: &mut Sql, word: &str) {
        const TOKENS: Cols = Cols {
            owner: "owner_id",
            office: "office_id",
            class: "class",
            words: "search_words",
        };
        self.residual(sql, &TOKENS, false);
        if let Some((Text::All(words), _)) = &self.text {
            let mut others = words.clone();
            if let Some(i) = others.iter().position(|w| w == word) {
                others.remove(i);
            }
            if !others.is_empty() {
                text_condition(sql, TOKENS.words, &Text::All(others));
            }
        }
        // The entry's word is the first that starts with `word` (which is then some word).
        let position = match sql.backend() {
            DatabaseBackend::Postgres => "strpos",
            _ => "instr",
        };
        sql.push(&format!(
            " AND {position}(search_words || ' ', ' ' || token || ' ') = NULLIF({position}(search_words, "
        ))
        .bind(format!(" {word}"))
        .push("), 0)");
    }
}

impl Plan {
    /// Understands a list request: the viewer's reach, the filters, the text.
    fn new(viewer: &Viewer, country: Country, filter: &ContactFilter, sort: ContactSort) -> Result<Self, StoreError> {
        let reach = Visibility::for_viewer(viewer).reach();
        let text = match filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => {
                let q = LookupQuery::parse(t, country)
                    .ok_or_else(|| StoreError::invalid("q", "query_too_short", "type at least two letters or three digits"))?;
                let text = match &q {
                    LookupQuery::Name { words } => Text::All(words.clone()),
                    LookupQuery::Phone { prefixes, .. } => Text::Any(prefixes.clone()),
                    LookupQuery::Email { prefix } => Text::Any(vec![prefix.clone()]),
                };
                Some((text, q))
            }
        };
        Ok(Plan {
            company: viewer.company_id,
            allowed: match filter.kind {
                None => ClassSet::ALL,
                Some(k) => ClassSet::of_kind(k),
            },
            kind_filtered: filter.kind.is_some(),
            reach,
            owner: filter.owner_id,
            office: filter.office_id,
            text,
            sort,
        })
    }
}

/// `AND` the condition that a row of `contacts` is one the viewer may see and matches the list
/// filters (text included): the one visibility filter, for statements that add conditions of
/// their own (segments). False when the viewer sees no contact at all.
pub(crate) fn visible_and_filtered(sql: &mut Sql, viewer: &Viewer, country: Country, filter: &ContactFilter) -> Result<bool, StoreError> {
    let plan = Plan::new(viewer, country, filter, ContactSort::NameAsc)?;
    if plan.reach.is_empty() {
        return Ok(false);
    }
    plan.residual(sql, &CONTACTS, true);
    Ok(true)
}

/// The columns of `contacts` for a branch driven by an index other than a class's.
const BY_OTHER_INDEX: Cols = Cols {
    class: "(class + 0)",
    ..CONTACTS
};

/// The columns of a contact joined as `c`.
const CLIENT: Cols = Cols {
    owner: "c.owner_id",
    office: "c.office_id",
    class: "c.class",
    words: "c.search_words",
};

/// `AND` the condition that the contact joined as `c` is one the viewer may see: the one
/// visibility filter, for statements that show a client beside what they list (the calendar).
/// False when the viewer sees no contact at all.
pub(crate) fn visible_client(sql: &mut Sql, viewer: &Viewer) -> bool {
    // Without a text filter the country is not read and nothing can be refused.
    let Ok(plan) = Plan::new(viewer, Country::SWEDEN, &ContactFilter::default(), ContactSort::NameAsc) else {
        return false;
    };
    if plan.reach.is_empty() {
        return false;
    }
    plan.residual(sql, &CLIENT, false);
    true
}

/// How one branch is read.
#[derive(Clone, Copy)]
struct Walk<'a> {
    order: ContactSort,
    after: Option<&'a Cursor>,
    limit: i64,
    /// Whether the text filter is checked on the rows.
    text: bool,
    /// Whether the rows carry their search words (to sample them).
    with_words: bool,
}

/// `AND` the keyset condition: rows strictly after the cursor in the sort.
fn keyset(sql: &mut Sql, order: ContactSort, c: &Cursor, key_col: &str, id_col: &str) {
    let cmp = if order.desc() { "<" } else { ">" };
    match order.key() {
        Key::Created => {
            sql.push(" AND ").push(id_col).push(&format!(" {cmp} ")).bind(c.id);
        }
        Key::Name => {
            sql.push(&format!(" AND ({key_col}, {id_col}) {cmp} ("))
                .bind(c.name.clone().unwrap_or_default())
                .push(", ")
                .bind(c.id)
                .push(")");
        }
        Key::Updated => {
            sql.push(&format!(" AND ({key_col}, {id_col}) {cmp} ("))
                .bind(c.updated.unwrap_or_default())
                .push(", ")
                .bind(c.id)
                .push(")");
        }
    }
}

/// `AND` the text condition on a column of search words (see `ContactData::search_words`):
/// name words follow a space, emails and phone digits a space and `#`.
fn text_condition(sql: &mut Sql, column: &str, text: &Text) {
    let (words, joiner, mark) = match text {
        Text::All(w) => (w, " AND ", ""),
        Text::Any(w) => (w, " OR ", "#"),
    };
    sql.push(" AND (");
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            sql.push(joiner);
        }
        sql.push(column)
            .push(" LIKE ")
            .bind(format!("% {mark}{}%", like_escape(w)))
            .push(" ESCAPE '\\'");
    }
    sql.push(")");
}

/// Options of one list read.
#[derive(Debug, Clone, Copy)]
pub struct ListOptions<'a> {
    pub after: Option<&'a Cursor>,
    pub limit: u64,
    /// Whether to compute the total (an export walking every page does not need it).
    pub total: bool,
}

impl Store {
    /// Runs reads in a transaction where PostgreSQL's planner may only use index scans in index
    /// order: the statements here are written for exactly those plans, and stale statistics
    /// (say, gathered while the company was empty) must not talk it into scanning a table.
    /// A plan that sorts anyway then carries the huge cost of a disabled step, which would make
    /// PostgreSQL compile it to machine code first (JIT, hundreds of milliseconds): JIT is off.
    pub(crate) async fn planned(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(
                "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), \
                 set_config('enable_sort', 'off', true), set_config('jit', 'off', true)",
            )
            .await?;
        }
        Ok(txn)
    }

    /// A page of the contacts the viewer may see, in `sort`, and how many there are in all.
    #[tracing::instrument(level = "debug", skip_all, fields(sort = sort.as_str(), limit = opts.limit))]
    pub async fn list_contacts(
        &self,
        viewer: &Viewer,
        country: Country,
        filter: &ContactFilter,
        sort: ContactSort,
        opts: ListOptions<'_>,
    ) -> Result<ContactPage, StoreError> {
        let plan = Plan::new(viewer, country, filter, sort)?;
        if plan.reach.is_empty() {
            return Ok(ContactPage::empty());
        }
        let txn = self.planned().await?;
        let carried = opts.after.and_then(|c| c.estimate);
        let mut page = match &plan.text {
            None => {
                let mut page = self.walk(&txn, &plan, opts).await?;
                if opts.total {
                    page.total = self.counted(&txn, &plan).await?;
                }
                page
            }
            Some((Text::All(words), _)) => {
                if let Some(ids) = self.two_words(&txn, plan.company, words, PAIR_CAP).await? {
                    // Whoever sees every contact, unfiltered, searching two words: every contact
                    // the pair finds is on the list, counted exactly; past a few, the page is
                    // merged from the words' entries, which is faster than probing them all.
                    let exact = plan.unfiltered() && words.len() == 2;
                    let merged = if exact && ids.len() as u64 > ID_CAP && matches!(sort.key(), Key::Name | Key::Created) {
                        let driving = words.iter().max_by_key(|w| w.chars().count()).cloned().unwrap_or_default();
                        self.merged(&txn, &plan, &driving, opts).await?
                    } else {
                        None
                    };
                    let page = match merged {
                        Some(mut page) => {
                            page.total = ids.len() as u64;
                            page
                        }
                        None => self.by_ids(&txn, &plan, ids, opts).await?,
                    };
                    txn.commit().await?;
                    return Ok(page);
                }
                // The range of each word is sized without reading its entries (a common word's
                // total is estimated instead), then the one driving is read.
                let (driving, n) = self.rarest(&txn, plan.company, words).await?;
                match sort.key() {
                    Key::Updated if n <= ID_CAP as i64 => {
                        let ids = self.token_scan(plan.company, SearchTokenKind::Name, &driving, ID_CAP).await?;
                        self.by_ids(&txn, &plan, ids, opts).await?
                    }
                    Key::Name | Key::Created if n <= TOKEN_CAP => {
                        let range = self.word_range(&txn, &plan, &driving).await?;
                        self.token_page(&txn, &plan, &driving, &range, opts).await?
                    }
                    // A common word, for a viewer who sees every contact and filters none out:
                    // nearly every entry of each word makes the page, so it is merged from the
                    // words as above and the total estimated as a walk's.
                    Key::Name | Key::Created if plan.unfiltered() => match self.merged(&txn, &plan, &driving, opts).await? {
                        Some(mut page) => {
                            if opts.total {
                                self.estimate_total(&txn, &plan, &mut page, carried).await?;
                            }
                            page
                        }
                        None => self.text_walk(&txn, &plan, opts).await?,
                    },
                    _ => self.text_walk(&txn, &plan, opts).await?,
                }
            }
            Some((Text::Any(prefixes), q)) => {
                let kind = match q {
                    LookupQuery::Email { .. } => SearchTokenKind::Email,
                    _ => SearchTokenKind::Phone,
                };
                let mut ids = Vec::new();
                for p in prefixes {
                    ids.extend(self.token_scan(plan.company, kind, p, ID_CAP + 1).await?);
                }
                ids.sort();
                ids.dedup();
                if ids.len() as u64 <= ID_CAP {
                    self.by_ids(&txn, &plan, ids, opts).await?
                } else {
                    self.text_walk(&txn, &plan, opts).await?
                }
            }
        };
        txn.commit().await?;
        if opts.total
            && !page.total_exact
            && let Some(next) = &mut page.next
        {
            next.estimate = Some(page.total);
        }
        Ok(page)
    }

    /// Walks the branches in sort order: one page.
    async fn walk(&self, txn: &DatabaseTransaction, plan: &Plan, opts: ListOptions<'_>) -> Result<ContactPage, StoreError> {
        let limit = opts.limit as i64 + 1;
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT k, id FROM (");
        for (i, family) in plan.branches().into_iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ");
            }
            let walk = Walk {
                order: plan.sort,
                after: opts.after,
                limit,
                text: true,
                with_words: false,
            };
            plan.branch(&mut sql, family, &walk);
            sql.push(&format!(" AS b{i}"));
        }
        let dir = if plan.sort.desc() { "DESC" } else { "ASC" };
        sql.push(&format!(") AS u ORDER BY k {dir}, id {dir} LIMIT ")).bind(limit);
        let rows = txn.query_all_raw(sql.statement()).await?;
        let ids = ids_of(&rows, 1)?;
        self.page_of(plan.company, plan.sort, ids, opts.limit).await
    }

    /// Fetches the rows of a page's ids (one more than the page, to know whether another
    /// follows), in the given order.
    async fn page_of(&self, company: CompanyId, sort: ContactSort, ids: Vec<Uuid>, limit: u64) -> Result<ContactPage, StoreError> {
        let more = ids.len() as u64 > limit;
        let ids: Vec<Uuid> = ids.into_iter().take(limit as usize).collect();
        let mut rows = self.contacts_by_id(company, ids.clone()).await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id.0));
        let next = if more { rows.last().map(|r| Cursor::after(sort, r)) } else { None };
        Ok(ContactPage {
            total: rows.len() as u64,
            items: rows,
            next,
            total_exact: true,
        })
    }

    /// The exact number of visible contacts matching the filters (not the text), from the counts.
    async fn counted(&self, txn: &DatabaseTransaction, plan: &Plan) -> Result<u64, StoreError> {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM contact_counts WHERE company_id = ")
            .bind(plan.company.0);
        plan.residual(&mut sql, &CONTACTS, false);
        let row = txn.query_one_raw(sql.statement()).await?;
        let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        Ok(n.max(0) as u64)
    }

    /// Every contact with two name words that two of the words start (neither starting the
    /// other, so that they are two different words of the contact), when there are at most
    /// `cap`: the range of their pair (`ann lind` for "anna lind"), and the same range of
    /// the second word's long-name tokens (the words of names longer than the pairs are made
    /// of), each entry checked on the words it carries. None when there are more, or no two such
    /// words.
    async fn two_words(
        &self,
        txn: &DatabaseTransaction,
        company: CompanyId,
        words: &[String],
        cap: u64,
    ) -> Result<Option<Vec<Uuid>>, StoreError> {
        let apart = |a: &String, b: &String| !a.starts_with(b.as_str()) && !b.starts_with(a.as_str());
        let Some((a, b)) = words
            .iter()
            .enumerate()
            .flat_map(|(i, a)| words[i + 1..].iter().map(move |b| (a, b)))
            .find(|(a, b)| apart(a, b))
        else {
            return Ok(None);
        };
        let head: String = a.chars().take(PAIR_PREFIX).collect();
        let long = (a.chars().count() > PAIR_PREFIX).then_some(a.as_str());
        let mut ids = Vec::new();
        for (kind, prefix, check) in [
            (SearchTokenKind::NamePair, format!("{head} {b}"), long),
            (SearchTokenKind::LongName, b.clone(), Some(a.as_str())),
        ] {
            // The range is read whole: only when it is small enough.
            if check.is_some() && range_size(txn, company, kind, &prefix).await? > TOKEN_CAP {
                return Ok(None);
            }
            let mut sql = Sql::new(txn.get_database_backend());
            checked_range(&mut sql, company, kind, &prefix, TOKEN_CAP, check, cap as i64 + 1);
            let rows = txn.query_all_raw(sql.statement()).await?;
            if rows.len() as u64 > cap {
                return Ok(None);
            }
            ids.extend(ids_of(&rows, 0)?);
        }
        ids.sort();
        ids.dedup();
        Ok(Some(ids))
    }

    /// The word of a query whose name range is smallest, with that range's size (counted up to
    /// just past the cap).
    async fn rarest(&self, txn: &DatabaseTransaction, company: CompanyId, words: &[String]) -> Result<(String, i64), StoreError> {
        let mut best = (String::new(), i64::MAX);
        for w in words {
            let n = range_size(txn, company, SearchTokenKind::Name, w).await?;
            if n < best.1 {
                best = (w.clone(), n);
            }
        }
        Ok(best)
    }

    /// A name word's range (within the cap) read whole: the words in it some entry of which
    /// makes the page, and how many contacts make it.
    async fn word_range(&self, txn: &DatabaseTransaction, plan: &Plan, word: &str) -> Result<WordRange, StoreError> {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT token, COALESCE(SUM(CASE WHEN 1 = 1");
        plan.word_entries(&mut sql, word);
        sql.push(" THEN 1 ELSE 0 END), 0) FROM (SELECT token, owner_id, office_id, class, search_words");
        token_range(&mut sql, plan.company, SearchTokenKind::Name, word);
        sql.push(" ORDER BY token LIMIT ").bind(TOKEN_CAP).push(") AS r GROUP BY token");
        let mut range = WordRange::default();
        for row in txn.query_all_raw(sql.statement()).await? {
            let (token, taken): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            range.total += taken;
            if taken > 0 {
                range.words.push(token);
            }
        }
        Ok(range)
    }

    /// A text search driven by one name word's range: the name tokens carry sort name, owner,
    /// office, class and search words, so visibility, filters, the other words and order are
    /// decided on that one range. A contact with two name words starting with the word has two
    /// entries in it: only the one of its first such word is taken (the words are kept in
    /// order), so the total is a plain count of the entries taken (`range`, exact), and the page
    /// the first entries taken of each word in the range, in sort order, merged: each word's
    /// entries are in sort order in an index of their own (by creation, the key), so a page
    /// reads about a page per word. Past [`MERGE_CAP`] words the whole range is sorted instead,
    /// keeping only a page.
    async fn token_page(
        &self,
        txn: &DatabaseTransaction,
        plan: &Plan,
        word: &str,
        range: &WordRange,
        opts: ListOptions<'_>,
    ) -> Result<ContactPage, StoreError> {
        let backend = txn.get_database_backend();
        let (key, order) = match plan.sort.key() {
            Key::Created => ("contact_id", "contact_id"),
            _ => ("sort_name", "sort_name, contact_id"),
        };
        let dir = if plan.sort.desc() { "DESC" } else { "ASC" };
        let order = order.split(", ").map(|c| format!("{c} {dir}")).collect::<Vec<_>>().join(", ");
        let limit = opts.limit as i64 + 1;
        let mut sql = Sql::new(backend);
        let entries = |sql: &mut Sql| {
            plan.word_entries(sql, word);
            if let Some(c) = opts.after {
                keyset(sql, plan.sort, c, key, "contact_id");
            }
            sql.push(&format!(" ORDER BY {order} LIMIT ")).bind(limit);
        };
        if range.words.is_empty() {
            return Ok(ContactPage::empty());
        } else if range.words.len() <= MERGE_CAP {
            sql.push("SELECT contact_id FROM (");
            for (i, token) in range.words.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT * FROM (SELECT contact_id, sort_name FROM contact_tokens");
                if backend == DatabaseBackend::Sqlite && key == "sort_name" {
                    sql.push(" INDEXED BY ").push(WORD_ORDER);
                }
                // The kind written out, not bound: a partial index is used only where the
                // statement itself implies its condition.
                sql.push(" WHERE company_id = ")
                    .bind(plan.company.0)
                    .push(&format!(" AND kind = {}", SearchTokenKind::Name.code()))
                    .push(" AND token = ")
                    .bind(token.as_str());
                entries(&mut sql);
                sql.push(&format!(") AS w{i}"));
            }
            sql.push(&format!(") AS u ORDER BY {order} LIMIT ")).bind(limit);
        } else {
            sql.push("SELECT contact_id");
            token_range(&mut sql, plan.company, SearchTokenKind::Name, word);
            entries(&mut sql);
        }
        let rows = txn.query_all_raw(sql.statement()).await?;
        let ids = ids_of(&rows, 0)?;
        let mut page = self.page_of(plan.company, plan.sort, ids, opts.limit).await?;
        if opts.total {
            page.total = range.total.max(0) as u64;
        }
        Ok(page)
    }

    /// A text search over few enough ids to read them all: visibility, filters and text are
    /// checked in the database on each id's row (one key probe each), which hands back only the
    /// sort keys of the rows that match; they are ordered here and only the page's rows are
    /// read whole.
    async fn by_ids(
        &self,
        txn: &DatabaseTransaction,
        plan: &Plan,
        ids: Vec<Uuid>,
        opts: ListOptions<'_>,
    ) -> Result<ContactPage, StoreError> {
        let backend = txn.get_database_backend();
        let mut keys: Vec<(String, DateTime<Utc>, Uuid)> = Vec::with_capacity(ids.len());
        // Bounded statements, whatever the number of ids.
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(backend);
            if backend == DatabaseBackend::Postgres {
                sql.push("SELECT t.sort_name, t.updated_at, t.id FROM ")
                    .key_rows(chunk)
                    .push(" CROSS JOIN LATERAL (SELECT id, sort_name, updated_at FROM contacts WHERE company_id = ")
                    .bind(plan.company.0)
                    .push(" AND id = ids.id");
                plan.residual(&mut sql, &CONTACTS, true);
                sql.push(" LIMIT 1) AS t");
            } else {
                sql.push("SELECT sort_name, updated_at, id FROM contacts WHERE company_id = ")
                    .bind(plan.company.0)
                    .push(" AND id IN ")
                    .bind_list(chunk.iter().copied());
                plan.residual(&mut sql, &CONTACTS, true);
            }
            for row in txn.query_all_raw(sql.statement()).await? {
                keys.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?));
            }
        }
        let total = keys.len() as u64;
        let ord = |a: &(String, DateTime<Utc>, Uuid), b: &(String, DateTime<Utc>, Uuid)| match plan.sort.key() {
            Key::Name => (&a.0, a.2).cmp(&(&b.0, b.2)),
            Key::Updated => (a.1, a.2).cmp(&(b.1, b.2)),
            Key::Created => a.2.cmp(&b.2),
        };
        keys.sort_by(|a, b| if plan.sort.desc() { ord(b, a) } else { ord(a, b) });
        if let Some(c) = opts.after {
            let cursor = (c.name.clone().unwrap_or_default(), c.updated.unwrap_or_default(), c.id);
            keys.retain(|k| {
                if plan.sort.desc() {
                    ord(k, &cursor).is_lt()
                } else {
                    ord(k, &cursor).is_gt()
                }
            });
        }
        let ids = keys.into_iter().take(opts.limit as usize + 1).map(|k| k.2).collect();
        let mut page = self.page_of(plan.company, plan.sort, ids, opts.limit).await?;
        page.total = total;
        Ok(page)
    }

    /// A text search walked in sort order, the text checked on each row; the total is estimated
    /// from a sample of the visible rows in creation order (exact when they are few).
    async fn text_walk(&self, txn: &DatabaseTransaction, plan: &Plan, opts: ListOptions<'_>) -> Result<ContactPage, StoreError> {
        let mut page = self.walk(txn, plan, opts).await?;
        if opts.total {
            self.estimate_total(txn, plan, &mut page, opts.after.and_then(|c| c.estimate))
                .await?;
        }
        Ok(page)
    }

    /// The total of a text search too common to count: estimated from a sample of the visible
    /// rows in creation order (exact when they are few).
    async fn estimate_total(
        &self,
        txn: &DatabaseTransaction,
        plan: &Plan,
        page: &mut ContactPage,
        carried: Option<u64>,
    ) -> Result<(), StoreError> {
        // A later page shows the first page's estimate (the page is found as the first page's
        // was, so a number in a forged cursor changes only the number it shows).
        if let Some(n) = carried {
            page.total = n;
            page.total_exact = false;
            return Ok(());
        }
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push("SELECT COUNT(*), COALESCE(SUM(CASE WHEN 1 = 1");
        if let Some((t, _)) = &plan.text {
            text_condition(&mut sql, "search_words", t);
        }
        sql.push(" THEN 1 ELSE 0 END), 0) FROM (SELECT id, search_words FROM (");
        for (i, family) in plan.branches().into_iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ");
            }
            let walk = Walk {
                order: ContactSort::CreatedAsc,
                after: None,
                limit: SAMPLE,
                text: false,
                with_words: true,
            };
            plan.branch(&mut sql, family, &walk);
            sql.push(&format!(" AS b{i}"));
        }
        sql.push(") AS u ORDER BY id LIMIT ").bind(SAMPLE).push(") AS s");
        let row = txn.query_one_raw(sql.statement()).await?;
        let (sampled, matched): (i64, i64) = match row {
            Some(r) => (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
            None => (0, 0),
        };
        if sampled < SAMPLE {
            page.total = matched.max(0) as u64;
            page.total_exact = true;
        } else {
            let visible = self.counted(txn, plan).await?;
            page.total = ((matched as f64 / sampled as f64) * visible as f64).round() as u64;
            page.total_exact = false;
        }
        Ok(())
    }

    /// A page of a common word's search for a viewer who sees every contact, unfiltered,
    /// merged from the first entries of each word that `driving` starts (see `token_page`),
    /// without its total; None when it starts more than [`MERGE_CAP`] words.
    async fn merged(
        &self,
        txn: &DatabaseTransaction,
        plan: &Plan,
        driving: &str,
        opts: ListOptions<'_>,
    ) -> Result<Option<ContactPage>, StoreError> {
        let words = self.words_starting(txn, plan.company, driving, MERGE_CAP + 1).await?;
        if words.len() > MERGE_CAP {
            return Ok(None);
        }
        let range = WordRange { words, total: 0 };
        let page = self
            .token_page(txn, plan, driving, &range, ListOptions { total: false, ..opts })
            .await?;
        Ok(Some(page))
    }

    /// The distinct name words starting with `word`, in order, at most `limit`: one index probe
    /// each (the next word after the last), however many entries each has.
    async fn words_starting(
        &self,
        txn: &DatabaseTransaction,
        company: CompanyId,
        word: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let kind = SearchTokenKind::Name.code();
        let mut sql = Sql::new(txn.get_database_backend());
        // Each step the first entry past the last word, in the index's order (written so, not
        // as `MIN`, which PostgreSQL may compute by reading the whole range).
        sql.push("WITH RECURSIVE w (token) AS (SELECT (SELECT token FROM contact_tokens WHERE company_id = ")
            .bind(company.0)
            .push(&format!(" AND kind = {kind} AND token >= "))
            .bind(word)
            .push(" AND token < ")
            .bind(prefix_upper(word))
            .push(" ORDER BY token LIMIT 1) UNION ALL SELECT (SELECT t.token FROM contact_tokens t WHERE t.company_id = ")
            .bind(company.0)
            .push(&format!(" AND t.kind = {kind} AND t.token > w.token AND t.token < "))
            .bind(prefix_upper(word))
            .push(" ORDER BY t.token LIMIT 1) FROM w WHERE w.token IS NOT NULL) SELECT token FROM w WHERE token IS NOT NULL LIMIT ")
            .bind(limit as i64);
        let rows = txn.query_all_raw(sql.statement()).await?;
        rows.iter().map(|r| Ok(r.try_get_by_index::<String>(0)?)).collect()
    }
}

/// How many entries a token range holds, counted up to just past [`TOKEN_CAP`] (one key range,
/// no entry read beyond it).
async fn range_size(txn: &DatabaseTransaction, company: CompanyId, kind: SearchTokenKind, prefix: &str) -> Result<i64, StoreError> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT COUNT(*) FROM (SELECT 1");
    token_range(&mut sql, company, kind, prefix);
    sql.push(" LIMIT ").bind(TOKEN_CAP + 1).push(") AS c");
    let row = txn.query_one_raw(sql.statement()).await?;
    Ok(row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0))
}

fn ids_of(rows: &[QueryResult], column: usize) -> Result<Vec<Uuid>, StoreError> {
    rows.iter().map(|r| Ok(r.try_get_by_index::<Uuid>(column)?)).collect()
}

/// Pages through every contact of a list (for exports): the same plans, a page at a time, so
/// memory stays constant however long the list.
pub struct ExportWalk {
    store: Store,
    viewer: Viewer,
    country: Country,
    filter: ContactFilter,
    after: Option<Cursor>,
    done: bool,
}

impl ExportWalk {
    pub fn new(store: Store, viewer: Viewer, country: Country, filter: ContactFilter) -> Self {
        Self {
            store,
            viewer,
            country,
            filter,
            after: None,
            done: false,
        }
    }

    /// The next rows, or an empty batch at the end.
    pub async fn next_batch(&mut self) -> Result<Vec<ContactRecord>, StoreError> {
        if self.done {
            return Ok(Vec::new());
        }
        let page = self
            .store
            .list_contacts(
                &self.viewer,
                self.country,
                &self.filter,
                ContactSort::NameAsc,
                ListOptions {
                    after: self.after.as_ref(),
                    limit: 500,
                    total: false,
                },
            )
            .await?;
        self.done = page.next.is_none();
        self.after = page.next;
        Ok(page.items)
    }
}
