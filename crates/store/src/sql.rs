//! A small builder for the statements sea-query cannot shape as needed (unions of limited,
//! ordered branches; row-value comparisons): SQL text with bound values, numbered in the
//! dialect of the backend.

use std::ops::Not;

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityName, EntityTrait, IdenStatic, Iterable, Statement, Value};

pub(crate) struct Sql {
    backend: DatabaseBackend,
    pub(crate) text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    pub(crate) fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `(v1, v2, …)` bound to the values.
    pub(crate) fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self.text.push(')');
        self
    }

    /// Appends a derived table `ids` with one column `id` holding `ids`: a join that probes each
    /// by its key, which PostgreSQL cannot turn into a walk over the company whatever its
    /// statistics say (an `IN` list beside the company's condition it may).
    pub(crate) fn key_rows(&mut self, ids: &[uuid::Uuid]) -> &mut Self {
        let cast = if self.backend == DatabaseBackend::Postgres {
            "::uuid)"
        } else {
            ")"
        };
        self.push("(SELECT column1 AS id FROM (VALUES ");
        for (i, id) in ids.iter().enumerate() {
            self.push(if i > 0 { ", (" } else { "(" }).bind(*id).push(cast);
        }
        self.push(") AS v) AS ids")
    }

    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// `text` with the LIKE wildcards escaped (for `LIKE … ESCAPE '\'`).
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Rows of one company's `table` whose `key` column is one of `ids` (at most `per_key` each, in
/// no particular order). On PostgreSQL every id is its own index probe, a lateral subquery with
/// a limit that the planner cannot turn into a walk over the company, whatever its statistics
/// say (gathered while the company was small, they would make that walk look cheap); SQLite
/// probes an `IN` list on its own.
pub(crate) fn by_keys(
    backend: DatabaseBackend,
    table: &str,
    key: &str,
    company: uuid::Uuid,
    ids: &[uuid::Uuid],
    per_key: u64,
) -> Statement {
    let mut sql = Sql::new(backend);
    match backend {
        DatabaseBackend::Postgres => {
            sql.push("SELECT t.* FROM ")
                .key_rows(ids)
                .push(&format!(" CROSS JOIN LATERAL (SELECT * FROM {table} WHERE company_id = "))
                .bind(company)
                .push(&format!(" AND {key} = ids.id LIMIT {per_key}) AS t"));
        }
        _ => {
            sql.push(&format!("SELECT * FROM {table} WHERE company_id = "))
                .bind(company)
                .push(&format!(" AND {key} IN "));
            sql.bind_list(ids.iter().copied());
            sql.push(&format!(" LIMIT {}", per_key.saturating_mul(ids.len() as u64)));
        }
    }
    sql.statement()
}

/// Inserts many new rows of one table, `chunk` rows per statement. On PostgreSQL the rows travel
/// as one JSON parameter expanded by `json_populate_recordset` (one bound value instead of one per
/// cell: binding and planning tens of thousands of placeholders costs more than the insert);
/// SQLite gets multi-row `VALUES`, at most 32,766 values a statement.
pub(crate) async fn insert_rows<A>(db: &impl ConnectionTrait, rows: Vec<A>, chunk: usize) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let Some(first) = rows.first() else { return Ok(()) };
    let backend = db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let part: Vec<A> = rows.by_ref().take(chunk).collect();
            A::Entity::insert_many(part).exec_without_returning(db).await?;
        }
        return Ok(());
    }
    let table = A::Entity::default().table_name().to_owned();
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| first.is_not_set(*c).not())
        .collect();
    let names = columns.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    for part in rows.chunks(chunk) {
        let records: Vec<serde_json::Value> = part
            .iter()
            .map(|row| {
                let mut record = serde_json::Map::with_capacity(columns.len());
                for c in &columns {
                    let value = row.get(*c).into_value().map_or(Ok(serde_json::Value::Null), |v| json_of(&v))?;
                    record.insert(c.as_str().to_owned(), value);
                }
                Ok(serde_json::Value::Object(record))
            })
            .collect::<Result<_, DbErr>>()?;
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, "
        ))
        .bind(serde_json::Value::Array(records))
        .push("::json)");
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

/// A bound value as PostgreSQL's JSON input of a column reads it back.
fn json_of(value: &Value) -> Result<serde_json::Value, DbErr> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Bool(v) => v.map_or(J::Null, J::from),
        Value::SmallInt(v) => v.map_or(J::Null, J::from),
        Value::Int(v) => v.map_or(J::Null, J::from),
        Value::BigInt(v) => v.map_or(J::Null, J::from),
        Value::Double(v) => v.map_or(J::Null, J::from),
        Value::String(v) => v.as_ref().map_or(J::Null, |s| J::from(s.as_str())),
        Value::Uuid(v) => v.as_ref().map_or(J::Null, |u| J::from(u.to_string())),
        Value::ChronoDateTimeUtc(v) => v.as_ref().map_or(J::Null, |t| J::from(t.to_rfc3339())),
        Value::Json(v) => v.as_deref().cloned().unwrap_or(J::Null),
        other => return Err(DbErr::Custom(format!("bulk insert of a column of type {other:?}"))),
    })
}
