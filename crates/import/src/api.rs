//! JSON of amoCRM's API v4: pages as the API returns them, arrays of entities, or JSON Lines.
//!
//! A page is an object whose `_embedded` has a list under the entity's name (`leads`,
//! `contacts`, …). A file may hold one page, an array of entities, or one page or entity per
//! line. Timestamps are Unix seconds and become the account's local time, as in the web exports.
//! Leads go to the `deals` table with the manager's name, the pipeline and stage names and the
//! outcome looked up from users and pipelines imported before or in the same call.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use crmsql_i18n::{Arg, Localizer};
use crmsql_schema::warehouse::{ColumnMeta, DataFile, SourceMeta, Transaction};
use datafusion::arrow::array::{Array, Int64Array, StringArray, StringViewArray};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::error::ImportError;
use crate::merge::KeyMode;
use crate::output::{Cell, ColumnDef, Kind, TableWriter};
use crate::rejects::{Reject, RejectsWriter};
use crate::values::{parse_money, parse_wall_time, wall_time_to_micros};

/// Entity of an API list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Entity {
    // Lookups first, so the entities that refer to them find them in the same import.
    Users,
    Pipelines,
    LossReasons,
    Catalogs,
    CustomFields,
    Leads,
    Contacts,
    Companies,
    Customers,
    Transactions,
    CatalogElements,
    Events,
}

impl Entity {
    /// Recognizes the key of a page's `_embedded` list.
    fn from_list_name(name: &str) -> Option<Entity> {
        Some(match name {
            "leads" => Entity::Leads,
            "contacts" => Entity::Contacts,
            "companies" => Entity::Companies,
            "customers" => Entity::Customers,
            "transactions" => Entity::Transactions,
            "elements" | "catalog_elements" => Entity::CatalogElements,
            "catalogs" => Entity::Catalogs,
            "events" => Entity::Events,
            "users" => Entity::Users,
            "custom_fields" => Entity::CustomFields,
            "pipelines" => Entity::Pipelines,
            "loss_reasons" => Entity::LossReasons,
            _ => return None,
        })
    }

    /// Name of the entity in `custom_field_values.entity_type`, as the API names it.
    fn api_name(self) -> &'static str {
        match self {
            Entity::Leads => "leads",
            Entity::Contacts => "contacts",
            Entity::Companies => "companies",
            Entity::Customers => "customers",
            Entity::Transactions => "transactions",
            Entity::CatalogElements => "catalog_elements",
            Entity::Catalogs => "catalogs",
            Entity::Events => "events",
            Entity::Users => "users",
            Entity::CustomFields => "custom_fields",
            Entity::Pipelines => "pipelines",
            Entity::LossReasons => "loss_reasons",
        }
    }

    /// Guesses the entity of a bare object from its fields, with the file name as a hint for
    /// shapes that several entities share.
    fn from_shape(object: &Value, hint: &str) -> Option<Entity> {
        let has = |key: &str| object.get(key).is_some();
        let hinted = [
            ("compan", Entity::Companies),
            ("contact", Entity::Contacts),
            ("loss_reason", Entity::LossReasons),
            ("catalog_element", Entity::CatalogElements),
            ("element", Entity::CatalogElements),
            ("catalog", Entity::Catalogs),
            ("custom_field", Entity::CustomFields),
            ("transaction", Entity::Transactions),
            ("customer", Entity::Customers),
            ("pipeline", Entity::Pipelines),
            ("user", Entity::Users),
            ("event", Entity::Events),
            ("lead", Entity::Leads),
        ];
        if object.pointer("/_embedded/statuses").is_some() {
            return Some(Entity::Pipelines);
        }
        if has("status_id") && has("pipeline_id") {
            return Some(Entity::Leads);
        }
        if has("value_after") || has("value_before") || (has("entity_id") && has("type")) {
            return Some(Entity::Events);
        }
        if has("customer_id") && has("completed_at") {
            return Some(Entity::Transactions);
        }
        if has("next_price") || has("periodicity") || has("ltv") {
            return Some(Entity::Customers);
        }
        if has("can_add_elements") {
            return Some(Entity::Catalogs);
        }
        if has("catalog_id") {
            return Some(Entity::CatalogElements);
        }
        if has("rights") {
            return Some(Entity::Users);
        }
        if has("enums") || has("is_api_only") {
            return Some(Entity::CustomFields);
        }
        let hint = hint.to_lowercase();
        if let Some((_, entity)) = hinted.iter().find(|(word, _)| hint.contains(word)) {
            return Some(*entity);
        }
        if has("first_name") || has("last_name") {
            return Some(Entity::Contacts);
        }
        None
    }
}

/// Reports whether a file's first bytes look like JSON rather than CSV.
pub(crate) fn looks_like_json(sample: &[u8]) -> bool {
    let text = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sample);
    matches!(
        text.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

/// Position of a record in its file, for messages: a line of JSON Lines, or the record's index
/// in the file's page or array.
#[derive(Debug, Clone, Copy)]
struct Place {
    line: u64,
    index: usize,
}

/// One entity read from a file.
struct Record {
    entity: Entity,
    object: Value,
    place: Place,
    /// JSON path of the object in the file, such as `_embedded.leads[2]`.
    path: String,
    /// The line as written, for a record that is a whole line of JSON Lines.
    line_text: Option<String>,
}

/// A record that could not be read at all, with the reason.
struct BadRecord {
    place: Place,
    text: String,
    code: &'static str,
    detail: String,
}

/// Reads every record of a file. JSON Lines are read a line at a time. A file that is one JSON
/// value is read whole, which suits API pages of at most 250 entities.
fn read_records(
    path: &Path,
    mut each: impl FnMut(Result<Record, BadRecord>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let hint = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut text = String::new();
    reader.read_to_string(&mut text).map_err(|error| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            error.to_string(),
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(value) => {
            let place = Place { line: 1, index: 0 };
            expand(value, place, &hint, String::new(), &mut each)
        }
        Err(whole_error) => {
            // Not one JSON value: JSON Lines, one value a line.
            let lines: Vec<&str> = text.lines().collect();
            // A first line that is a whole JSON value marks JSON Lines. A later line that is
            // not JSON is then a rejected record, and the rest of the file is still read.
            let looks_like_lines = lines.len() > 1
                && lines
                    .iter()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| serde_json::from_str::<Value>(l).is_ok());
            if !looks_like_lines {
                return Err(ImportError::InvalidJson {
                    path: path.to_owned(),
                    line: whole_error.line() as u64,
                    column: whole_error.column() as u64,
                    detail: json_problem(&whole_error).to_owned(),
                });
            }
            for (number, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let place = Place {
                    line: number as u64 + 1,
                    index: 0,
                };
                match serde_json::from_str::<Value>(line) {
                    // A line of one object is kept as written for the rejects file.
                    Ok(value @ Value::Object(_)) if value.get("id").is_some() => {
                        expand(value, place, &hint, String::new(), &mut |record| {
                            each(record.map(|record| Record {
                                line_text: Some((*line).to_owned()),
                                ..record
                            }))
                        })?
                    }
                    Ok(value) => expand(value, place, &hint, String::new(), &mut each)?,
                    Err(error) => each(Err(BadRecord {
                        place,
                        text: (*line).to_owned(),
                        code: "invalid_json",
                        detail: json_problem(&error).to_owned(),
                    }))?,
                }
            }
            Ok(())
        }
    }
}

/// Returns the message id that describes what is wrong with a JSON text, in place of the parser's
/// English wording.
pub(crate) fn json_problem(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "json-eof",
        serde_json::error::Category::Syntax => "json-syntax",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "json-data",
    }
}

/// Splits a parsed value into entity records: a page gives its `_embedded` list, an array its
/// elements, an object with an `id` itself.
fn expand(
    value: Value,
    place: Place,
    hint: &str,
    path: String,
    each: &mut impl FnMut(Result<Record, BadRecord>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    match value {
        Value::Array(items) => {
            for (index, item) in items.into_iter().enumerate() {
                let place = Place {
                    line: place.line,
                    index: index + 1,
                };
                expand(item, place, hint, format!("{path}[{index}]"), each)?;
            }
            Ok(())
        }
        Value::Object(mut object) if !object.contains_key("id") => {
            let list = object
                .get_mut("_embedded")
                .and_then(Value::as_object_mut)
                .and_then(|embedded| {
                    let name = embedded
                        .keys()
                        .find(|k| Entity::from_list_name(k).is_some())?
                        .clone();
                    let items = embedded.remove(&name)?;
                    Some((name, items))
                });
            match list {
                Some((name, Value::Array(items))) => {
                    let entity = Entity::from_list_name(&name);
                    for (index, item) in items.into_iter().enumerate() {
                        let place = Place {
                            line: place.line,
                            index: index + 1,
                        };
                        let item_path = format!("_embedded.{name}[{index}]");
                        match entity {
                            Some(entity) => each(Ok(Record {
                                entity,
                                object: item,
                                place,
                                path: item_path,
                                line_text: None,
                            }))?,
                            None => continue,
                        }
                    }
                    Ok(())
                }
                _ => each(Err(BadRecord {
                    place,
                    text: Value::Object(object).to_string(),
                    code: "unknown_entity",
                    detail: String::new(),
                })),
            }
        }
        object @ Value::Object(_) => match Entity::from_shape(&object, hint) {
            Some(entity) => each(Ok(Record {
                entity,
                object,
                place,
                line_text: None,
                path: if path.is_empty() {
                    "$".to_owned()
                } else {
                    path
                },
            })),
            None => each(Err(BadRecord {
                place,
                text: object.to_string(),
                code: "unknown_entity",
                detail: String::new(),
            })),
        },
        other => each(Err(BadRecord {
            place,
            text: other.to_string(),
            code: "unknown_entity",
            detail: String::new(),
        })),
    }
}

/// Reads the entity of a file's first record, to order files so that lookups come first.
pub(crate) fn first_entity(path: &Path) -> Result<Option<Entity>, ImportError> {
    let mut first = None;
    let mut stop = false;
    read_records(path, |record| {
        if !stop && let Ok(record) = record {
            first = Some(record.entity);
            stop = true;
        }
        Ok(())
    })?;
    Ok(first)
}

/// Names looked up by id while importing: users, pipelines and their stages, loss reasons.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    users: HashMap<i64, String>,
    pipelines: HashMap<i64, String>,
    /// Stage name by (pipeline id, status id): ids 142 and 143 repeat in every pipeline.
    statuses: HashMap<(i64, i64), String>,
    loss_reasons: HashMap<i64, String>,
    /// Version (`updated_at`) of the copy of each entity whose custom field values this import
    /// has written. A copy that is not newer adds no values, so an entity listed twice, in one
    /// page or in two, does not get its values twice.
    // NOTE: a newer copy with no custom fields at all writes no rows, so the values that an
    // earlier import stored for the entity stay in `custom_field_values`.
    custom_copies: HashMap<(Entity, i64), Option<i64>>,
}

impl Lookups {
    /// Loads the lookups from tables the warehouse has already.
    pub(crate) fn from_warehouse(transaction: &Transaction) -> Lookups {
        let mut lookups = Lookups::default();
        for (id, name) in read_pairs(transaction, "users", &["id"], "name") {
            lookups.users.insert(id[0], name);
        }
        for (id, name) in read_pairs(transaction, "pipelines", &["id"], "name") {
            lookups.pipelines.insert(id[0], name);
        }
        for (ids, name) in read_pairs(transaction, "statuses", &["pipeline_id", "id"], "name") {
            lookups.statuses.insert((ids[0], ids[1]), name);
        }
        for (id, name) in read_pairs(transaction, "loss_reasons", &["id"], "name") {
            lookups.loss_reasons.insert(id[0], name);
        }
        lookups
    }
}

/// Reads id columns and a name column of a warehouse table; a table that is missing or lacks
/// the columns gives nothing.
fn read_pairs(
    transaction: &Transaction,
    table: &str,
    ids: &[&str],
    name: &str,
) -> Vec<(Vec<i64>, String)> {
    let mut pairs = Vec::new();
    let Some(meta) = transaction.table(table) else {
        return pairs;
    };
    for file in &meta.files {
        let path = transaction.root().join(&file.path);
        let Ok(handle) = File::open(&path) else {
            continue;
        };
        let Ok(builder) = ParquetRecordBatchReaderBuilder::try_new(handle) else {
            continue;
        };
        let schema = builder.schema().clone();
        let mut indices = Vec::new();
        for column in ids.iter().chain(std::iter::once(&name)) {
            match schema.index_of(column) {
                Ok(index) => indices.push(index),
                Err(_) => return pairs,
            }
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        let Ok(reader) = builder.with_projection(mask).build() else {
            continue;
        };
        for batch in reader.flatten() {
            let id_columns: Vec<Option<&Int64Array>> = ids
                .iter()
                .map(|c| {
                    batch
                        .column_by_name(c)
                        .and_then(|a| a.as_any().downcast_ref())
                })
                .collect();
            let Some(names) = batch.column_by_name(name) else {
                continue;
            };
            for row in 0..batch.num_rows() {
                let mut key = Vec::with_capacity(ids.len());
                for column in &id_columns {
                    match column {
                        Some(array) if array.is_valid(row) => key.push(array.value(row)),
                        _ => break,
                    }
                }
                let text = if let Some(strings) = names.as_any().downcast_ref::<StringArray>() {
                    strings.is_valid(row).then(|| strings.value(row).to_owned())
                } else if let Some(views) = names.as_any().downcast_ref::<StringViewArray>() {
                    views.is_valid(row).then(|| views.value(row).to_owned())
                } else {
                    None
                };
                if key.len() == ids.len()
                    && let Some(text) = text
                {
                    pairs.push((key, text));
                }
            }
        }
    }
    pairs
}

/// A value of a record that does not have the expected type.
struct FieldError {
    field: String,
    value: String,
    code: &'static str,
}

/// Typed reads of an entity's fields.
struct Fields<'a> {
    object: &'a Value,
    zone: Tz,
}

impl Fields<'_> {
    fn get(&self, pointer: &str) -> Option<&Value> {
        self.object.pointer(pointer).filter(|v| !v.is_null())
    }

    fn error(&self, pointer: &str, code: &'static str) -> FieldError {
        FieldError {
            field: pointer.trim_start_matches('/').replace('/', "."),
            value: self.get(pointer).map(Value::to_string).unwrap_or_default(),
            code,
        }
    }

    fn int(&self, pointer: &str) -> Result<Cell, FieldError> {
        match self.get(pointer) {
            None => Ok(Cell::Null),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Cell::Int)
                .ok_or_else(|| self.error(pointer, "invalid_integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Cell::Int)
                .map_err(|_| self.error(pointer, "invalid_integer")),
            Some(_) => Err(self.error(pointer, "invalid_integer")),
        }
    }

    fn id(&self, pointer: &str) -> Result<i64, FieldError> {
        match self.int(pointer)? {
            Cell::Int(id) => Ok(id),
            _ => Err(FieldError {
                field: pointer.trim_start_matches('/').to_owned(),
                value: String::new(),
                code: "missing_id",
            }),
        }
    }

    fn text(&self, pointer: &str) -> Cell {
        match self.get(pointer) {
            None => Cell::Null,
            Some(Value::String(s)) => Cell::Text(s.clone()),
            Some(other) => Cell::Text(other.to_string()),
        }
    }

    fn boolean(&self, pointer: &str) -> Result<Cell, FieldError> {
        match self.get(pointer) {
            None => Ok(Cell::Null),
            Some(Value::Bool(b)) => Ok(Cell::Bool(*b)),
            Some(Value::Number(n)) => Ok(Cell::Bool(n.as_i64().unwrap_or(0) != 0)),
            Some(_) => Err(self.error(pointer, "invalid_boolean")),
        }
    }

    /// Reads Unix seconds, or text in an export's date format.
    fn time(&self, pointer: &str) -> Result<Cell, FieldError> {
        match self.get(pointer) {
            None => Ok(Cell::Null),
            Some(Value::Number(n)) => {
                let seconds = n
                    .as_i64()
                    .ok_or_else(|| self.error(pointer, "invalid_date"))?;
                let year = chrono::DateTime::from_timestamp(seconds, 0)
                    .map(|t| chrono::Datelike::year(&t));
                if !year.is_some_and(|y| crate::values::SUPPORTED_YEARS.contains(&y)) {
                    return Err(self.error(pointer, "date_out_of_range"));
                }
                Ok(Cell::Time(seconds * 1_000_000))
            }
            Some(Value::String(s)) => {
                if let Ok(seconds) = s.trim().parse::<i64>() {
                    return Ok(Cell::Time(seconds.saturating_mul(1_000_000)));
                }
                match parse_wall_time(s) {
                    Ok(Some(wall)) => wall_time_to_micros(wall, self.zone)
                        .map(Cell::Time)
                        .map_err(|_| self.error(pointer, "invalid_date")),
                    Ok(None) => Ok(Cell::Null),
                    Err(_) => Err(self.error(pointer, "invalid_date")),
                }
            }
            Some(_) => Err(self.error(pointer, "invalid_date")),
        }
    }

    /// Reads money: whole units as a number, or text such as `"6000.00"`.
    fn money(&self, pointer: &str) -> Result<Cell, FieldError> {
        match self.get(pointer) {
            None => Ok(Cell::Null),
            Some(Value::Number(n)) => {
                if let Some(whole) = n.as_i64() {
                    return Ok(Cell::Money(i128::from(whole) * 100));
                }
                if n.as_f64().is_some_and(|x| x.abs() >= 1e16) {
                    return Err(self.error(pointer, "money_out_of_range"));
                }
                match parse_money(&n.to_string()) {
                    Ok(Some(cents)) => Ok(Cell::Money(cents)),
                    Ok(None) => Ok(Cell::Null),
                    Err(error) => Err(self.error(pointer, money_code(&error))),
                }
            }
            Some(Value::String(s)) => match parse_money(s) {
                Ok(Some(cents)) => Ok(Cell::Money(cents)),
                Ok(None) => Ok(Cell::Null),
                Err(error) => Err(self.error(pointer, money_code(&error))),
            },
            Some(_) => Err(self.error(pointer, "invalid_money")),
        }
    }

    /// Collects the `id` of each object of a list, such as `_embedded.contacts`.
    fn ids(&self, pointer: &str) -> Cell {
        let ids = self
            .get(pointer)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.get("id").and_then(Value::as_i64))
                    .collect()
            })
            .unwrap_or_default();
        Cell::IntList(ids)
    }

    /// Collects the `name` of each object of a list, such as `_embedded.tags`.
    fn names(&self, pointer: &str) -> Cell {
        let names = self
            .get(pointer)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.get("name").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Cell::List(names)
    }

    /// Returns the values of the custom field with `code` (`PHONE`, `PRICE`, …) as text.
    fn field_values(&self, code: &str, enum_code: Option<&str>) -> Vec<String> {
        let Some(fields) = self.get("/custom_fields_values").and_then(Value::as_array) else {
            return Vec::new();
        };
        let mut values = Vec::new();
        for field in fields {
            if field.get("field_code").and_then(Value::as_str) != Some(code) {
                continue;
            }
            for item in field
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(wanted) = enum_code
                    && item.get("enum_code").and_then(Value::as_str) != Some(wanted)
                {
                    continue;
                }
                match item.get("value") {
                    Some(Value::String(s)) => values.push(s.clone()),
                    Some(Value::Null) | None => {}
                    Some(other) => values.push(other.to_string()),
                }
            }
        }
        values
    }

    fn field_text(&self, code: &str) -> Cell {
        self.field_values(code, None)
            .into_iter()
            .next()
            .map_or(Cell::Null, Cell::Text)
    }
}

/// Outcome of a deal from its status id: 142 and 143 are won and lost in every pipeline.
fn outcome(status_id: Option<i64>) -> Cell {
    match status_id {
        Some(142) => Cell::Text("won".to_owned()),
        Some(143) => Cell::Text("lost".to_owned()),
        Some(_) => Cell::Text("open".to_owned()),
        None => Cell::Null,
    }
}

fn as_int(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(v) => Some(*v),
        _ => None,
    }
}

/// A table the API import writes, with its columns and key.
struct TableSpec {
    name: &'static str,
    columns: Vec<ColumnDef>,
    key: &'static [&'static str],
    version: Option<&'static str>,
    mode: KeyMode,
}

fn columns(list: &[(&str, Kind)]) -> Vec<ColumnDef> {
    list.iter()
        .map(|(name, kind)| ColumnDef::new(name, *kind))
        .collect()
}

const AUDIT: [(&str, Kind); 5] = [
    ("created_by_id", Kind::Int),
    ("updated_by_id", Kind::Int),
    ("created_at", Kind::Time),
    ("updated_at", Kind::Time),
    ("is_deleted", Kind::Bool),
];

/// Returns whether `table` is one that API files fill.
pub(crate) fn is_api_table(table: &str) -> bool {
    spec(table).is_some()
}

fn spec(table: &str) -> Option<TableSpec> {
    use Kind::*;
    let with_audit = |list: &[(&'static str, Kind)]| {
        let mut all = list.to_vec();
        all.extend(AUDIT);
        columns(&all)
    };
    Some(match table {
        "deals" => TableSpec {
            name: "deals",
            columns: columns(&[
                ("id", Int),
                ("name", Text),
                ("budget", Money),
                ("manager", Text),
                ("created_at", Time),
                ("closed_at", Time),
                ("pipeline", Text),
                ("stage", Text),
                ("outcome", Text),
                ("loss_reason", Text),
                ("tags", List),
                ("updated_at", Time),
                ("created_by", Text),
                ("updated_by", Text),
                ("utm_source", Text),
                ("utm_medium", Text),
                ("utm_campaign", Text),
                ("utm_term", Text),
                ("utm_content", Text),
                ("responsible_user_id", Int),
                ("pipeline_id", Int),
                ("status_id", Int),
                ("loss_reason_id", Int),
                ("source_id", Int),
                ("created_by_id", Int),
                ("updated_by_id", Int),
                ("closest_task_at", Time),
                ("is_deleted", Bool),
                ("score", Int),
                ("group_id", Int),
                ("company_id", Int),
                ("contact_ids", IntList),
                ("main_contact_id", Int),
                ("account_id", Int),
                // Columns every deals table has. The API gives only the ids of these.
                ("company", Text),
                ("contact", Text),
                ("source", Text),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "contacts" | "companies" => {
            let mut list = vec![("id", Int), ("name", Text)];
            if table == "contacts" {
                list.extend([
                    ("first_name", Text),
                    ("last_name", Text),
                    ("position", Text),
                ]);
            }
            list.extend([
                ("manager", Text),
                ("tags", List),
                ("phones", List),
                ("emails", List),
                ("work_phone", List),
                ("work_direct_phone", List),
                ("mobile_phone", List),
                ("fax", List),
                ("home_phone", List),
                ("other_phone", List),
                ("work_email", List),
                ("personal_email", List),
                ("other_email", List),
                ("web", Text),
                ("address", Text),
                ("responsible_user_id", Int),
                ("company_ids", IntList),
                ("contact_ids", IntList),
                ("closest_task_at", Time),
                ("account_id", Int),
            ]);
            TableSpec {
                name: if table == "contacts" {
                    "contacts"
                } else {
                    "companies"
                },
                columns: with_audit(&list),
                key: &["id"],
                version: Some("updated_at"),
                mode: KeyMode::Row,
            }
        }
        "pipelines" => TableSpec {
            name: "pipelines",
            columns: columns(&[
                ("id", Int),
                ("name", Text),
                ("sort_order", Int),
                ("is_main", Bool),
                ("is_unsorted_on", Bool),
                ("is_archive", Bool),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: None,
            mode: KeyMode::Row,
        },
        "statuses" => TableSpec {
            name: "statuses",
            columns: columns(&[
                ("pipeline_id", Int),
                ("id", Int),
                ("pipeline", Text),
                ("name", Text),
                ("sort_order", Int),
                ("outcome", Text),
                ("is_editable", Bool),
                ("color", Text),
                ("type", Int),
                ("account_id", Int),
            ]),
            key: &["pipeline_id", "id"],
            version: None,
            mode: KeyMode::Row,
        },
        "users" => TableSpec {
            name: "users",
            columns: columns(&[
                ("id", Int),
                ("name", Text),
                ("email", Text),
                ("lang", Text),
                ("is_admin", Bool),
                ("is_active", Bool),
                ("is_free", Bool),
                ("group_id", Int),
                ("role_id", Int),
            ]),
            key: &["id"],
            version: None,
            mode: KeyMode::Row,
        },
        "loss_reasons" => TableSpec {
            name: "loss_reasons",
            columns: columns(&[
                ("id", Int),
                ("name", Text),
                ("sort_order", Int),
                ("created_at", Time),
                ("updated_at", Time),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "customers" => TableSpec {
            name: "customers",
            columns: with_audit(&[
                ("id", Int),
                ("name", Text),
                ("next_price", Money),
                ("next_date", Time),
                ("manager", Text),
                ("responsible_user_id", Int),
                ("status_id", Int),
                ("periodicity", Int),
                ("ltv", Money),
                ("purchases_count", Int),
                ("average_check", Money),
                ("tags", List),
                ("segment_ids", IntList),
                ("contact_ids", IntList),
                ("main_contact_id", Int),
                ("company_id", Int),
                ("closest_task_at", Time),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "transactions" => TableSpec {
            name: "transactions",
            columns: with_audit(&[
                ("id", Int),
                ("customer_id", Int),
                ("price", Money),
                ("completed_at", Time),
                ("comment", Text),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "transaction_items" => TableSpec {
            name: "transaction_items",
            columns: columns(&[
                ("transaction_id", Int),
                ("catalog_element_id", Int),
                ("catalog_id", Int),
                ("quantity", Float),
                ("updated_at", Time),
            ]),
            key: &["transaction_id"],
            version: Some("updated_at"),
            mode: KeyMode::Group,
        },
        "catalogs" => TableSpec {
            name: "catalogs",
            columns: with_audit(&[
                ("id", Int),
                ("name", Text),
                ("type", Text),
                ("sort_order", Int),
                ("can_add_elements", Bool),
                ("can_show_in_cards", Bool),
                ("can_link_multiple", Bool),
                ("can_be_deleted", Bool),
                ("sdk_widget_code", Text),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "catalog_elements" => TableSpec {
            name: "catalog_elements",
            columns: with_audit(&[
                ("id", Int),
                ("catalog_id", Int),
                ("name", Text),
                ("sku", Text),
                ("price", Money),
                ("group_name", Text),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: Some("updated_at"),
            mode: KeyMode::Row,
        },
        "lead_status_changes" => TableSpec {
            name: "lead_status_changes",
            columns: columns(&[
                ("id", Text),
                ("deal_id", Int),
                ("changed_at", Time),
                ("changed_by_id", Int),
                ("changed_by", Text),
                ("pipeline_before_id", Int),
                ("status_before_id", Int),
                ("stage_before", Text),
                ("pipeline_after_id", Int),
                ("status_after_id", Int),
                ("stage_after", Text),
                ("outcome_after", Text),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: None,
            mode: KeyMode::Row,
        },
        "events" => TableSpec {
            name: "events",
            columns: columns(&[
                ("id", Text),
                ("type", Text),
                ("entity_type", Text),
                ("entity_id", Int),
                ("created_by_id", Int),
                ("created_at", Time),
                ("value_before", Text),
                ("value_after", Text),
                ("account_id", Int),
            ]),
            key: &["id"],
            version: None,
            mode: KeyMode::Row,
        },
        "custom_fields" => TableSpec {
            name: "custom_fields",
            columns: columns(&[
                ("entity_type", Text),
                ("id", Int),
                ("name", Text),
                ("type", Text),
                ("code", Text),
                ("sort_order", Int),
                ("group_id", Text),
                ("is_api_only", Bool),
                ("is_predefined", Bool),
                ("is_deletable", Bool),
                ("account_id", Int),
            ]),
            key: &["entity_type", "id"],
            version: None,
            mode: KeyMode::Row,
        },
        "custom_field_enums" => TableSpec {
            name: "custom_field_enums",
            columns: columns(&[
                ("entity_type", Text),
                ("field_id", Int),
                ("enum_id", Int),
                ("value", Text),
                ("sort_order", Int),
            ]),
            key: &["entity_type", "field_id"],
            version: None,
            mode: KeyMode::Group,
        },
        "custom_field_values" => TableSpec {
            name: "custom_field_values",
            columns: columns(&[
                ("entity_type", Text),
                ("entity_id", Int),
                ("field_id", Int),
                ("field_name", Text),
                ("field_code", Text),
                ("field_type", Text),
                ("position", Int),
                ("value", Text),
                ("value_number", Float),
                ("value_time", Time),
                ("value_bool", Bool),
                ("enum_id", Int),
                ("enum_code", Text),
                ("entity_updated_at", Time),
            ]),
            key: &["entity_type", "entity_id"],
            version: Some("entity_updated_at"),
            mode: KeyMode::Group,
        },
        _ => return None,
    })
}

/// Rows for the tables of one entity record.
type Rows = Vec<(&'static str, Vec<Cell>)>;

fn user_name(lookups: &Lookups, id: Option<i64>) -> Cell {
    match id {
        Some(id) => lookups
            .users
            .get(&id)
            .cloned()
            .map_or(Cell::Null, Cell::Text),
        None => Cell::Null,
    }
}

fn main_id(fields: &Fields<'_>, pointer: &str) -> Cell {
    let items = fields.get(pointer).and_then(Value::as_array);
    let main = items.and_then(|items| {
        items
            .iter()
            .find(|i| i.get("is_main").and_then(Value::as_bool) == Some(true))
            .or_else(|| items.first())
            .and_then(|i| i.get("id").and_then(Value::as_i64))
    });
    main.map_or(Cell::Null, Cell::Int)
}

fn first_id(fields: &Fields<'_>, pointer: &str) -> Cell {
    fields
        .get(pointer)
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .and_then(|i| i.get("id").and_then(Value::as_i64))
        .map_or(Cell::Null, Cell::Int)
}

/// Turns one record into rows, and updates the lookups with users and pipelines.
fn rows_of(record: &Record, lookups: &mut Lookups, zone: Tz) -> Result<Rows, FieldError> {
    let f = Fields {
        object: &record.object,
        zone,
    };
    let mut rows: Rows = Vec::new();
    match record.entity {
        Entity::Leads => {
            let id = f.id("/id")?;
            let status = as_int(&f.int("/status_id")?);
            let pipeline = as_int(&f.int("/pipeline_id")?);
            let responsible = as_int(&f.int("/responsible_user_id")?);
            let created_by = as_int(&f.int("/created_by")?);
            let updated_by = as_int(&f.int("/updated_by")?);
            let loss_id = as_int(&f.int("/loss_reason_id")?);
            let budget = if f.get("/price_with_minor_units").is_some() {
                match f.get("/price_with_minor_units").and_then(Value::as_f64) {
                    Some(minor) => Cell::Money(minor.round() as i128),
                    None => return Err(f.error("/price_with_minor_units", "invalid_money")),
                }
            } else {
                f.money("/price")?
            };
            let loss_reason = f
                .get("/_embedded/loss_reason/0/name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| loss_id.and_then(|id| lookups.loss_reasons.get(&id).cloned()));
            let stage = match (pipeline, status) {
                (Some(p), Some(s)) => lookups.statuses.get(&(p, s)).cloned(),
                _ => None,
            };
            let utm = |code: &str| f.field_text(code);
            rows.push((
                "deals",
                vec![
                    Cell::Int(id),
                    f.text("/name"),
                    budget,
                    user_name(lookups, responsible),
                    f.time("/created_at")?,
                    f.time("/closed_at")?,
                    pipeline
                        .and_then(|p| lookups.pipelines.get(&p).cloned())
                        .map_or(Cell::Null, Cell::Text),
                    stage.map_or(Cell::Null, Cell::Text),
                    outcome(status),
                    if status == Some(143) {
                        loss_reason.map_or(Cell::Null, Cell::Text)
                    } else {
                        Cell::Null
                    },
                    f.names("/_embedded/tags"),
                    f.time("/updated_at")?,
                    user_name(lookups, created_by),
                    user_name(lookups, updated_by),
                    utm("UTM_SOURCE"),
                    utm("UTM_MEDIUM"),
                    utm("UTM_CAMPAIGN"),
                    utm("UTM_TERM"),
                    utm("UTM_CONTENT"),
                    responsible.map_or(Cell::Null, Cell::Int),
                    pipeline.map_or(Cell::Null, Cell::Int),
                    status.map_or(Cell::Null, Cell::Int),
                    loss_id.map_or(Cell::Null, Cell::Int),
                    f.int("/source_id")?,
                    created_by.map_or(Cell::Null, Cell::Int),
                    updated_by.map_or(Cell::Null, Cell::Int),
                    f.time("/closest_task_at")?,
                    f.boolean("/is_deleted")?,
                    f.int("/score")?,
                    f.int("/group_id")?,
                    first_id(&f, "/_embedded/companies"),
                    f.ids("/_embedded/contacts"),
                    main_id(&f, "/_embedded/contacts"),
                    f.int("/account_id")?,
                    Cell::Null,
                    Cell::Null,
                    Cell::Null,
                ],
            ));
            custom_values(&f, record.entity, id, &mut lookups.custom_copies, &mut rows)?;
        }
        Entity::Contacts | Entity::Companies => {
            let id = f.id("/id")?;
            let contact = record.entity == Entity::Contacts;
            let responsible = as_int(&f.int("/responsible_user_id")?);
            let list =
                |code: &str, enum_code: Option<&str>| Cell::List(f.field_values(code, enum_code));
            let mut cells = vec![Cell::Int(id), f.text("/name")];
            if contact {
                cells.extend([
                    f.text("/first_name"),
                    f.text("/last_name"),
                    f.field_text("POSITION"),
                ]);
            }
            cells.extend([
                user_name(lookups, responsible),
                f.names("/_embedded/tags"),
                list("PHONE", None),
                list("EMAIL", None),
                list("PHONE", Some("WORK")),
                list("PHONE", Some("WORKDD")),
                list("PHONE", Some("MOB")),
                list("PHONE", Some("FAX")),
                list("PHONE", Some("HOME")),
                list("PHONE", Some("OTHER")),
                list("EMAIL", Some("WORK")),
                list("EMAIL", Some("PRIV")),
                list("EMAIL", Some("OTHER")),
                f.field_text("WEB"),
                f.field_text("ADDRESS"),
                responsible.map_or(Cell::Null, Cell::Int),
                f.ids("/_embedded/companies"),
                f.ids("/_embedded/contacts"),
                f.time("/closest_task_at")?,
                f.int("/account_id")?,
            ]);
            cells.extend(audit(&f)?);
            rows.push((if contact { "contacts" } else { "companies" }, cells));
            custom_values(&f, record.entity, id, &mut lookups.custom_copies, &mut rows)?;
        }
        Entity::Pipelines => {
            let id = f.id("/id")?;
            let name = f.text("/name");
            if let Cell::Text(text) = &name {
                lookups.pipelines.insert(id, text.clone());
            }
            rows.push((
                "pipelines",
                vec![
                    Cell::Int(id),
                    name.clone(),
                    f.int("/sort")?,
                    f.boolean("/is_main")?,
                    f.boolean("/is_unsorted_on")?,
                    f.boolean("/is_archive")?,
                    f.int("/account_id")?,
                ],
            ));
            let statuses = f
                .get("/_embedded/statuses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for status in &statuses {
                let s = Fields {
                    object: status,
                    zone,
                };
                let status_id = s.id("/id")?;
                if let Cell::Text(text) = s.text("/name") {
                    lookups.statuses.insert((id, status_id), text);
                }
                rows.push((
                    "statuses",
                    vec![
                        Cell::Int(id),
                        Cell::Int(status_id),
                        name.clone(),
                        s.text("/name"),
                        s.int("/sort")?,
                        outcome(Some(status_id)),
                        s.boolean("/is_editable")?,
                        s.text("/color"),
                        s.int("/type")?,
                        s.int("/account_id")?,
                    ],
                ));
            }
        }
        Entity::Users => {
            let id = f.id("/id")?;
            if let Cell::Text(name) = f.text("/name") {
                lookups.users.insert(id, name);
            }
            rows.push((
                "users",
                vec![
                    Cell::Int(id),
                    f.text("/name"),
                    f.text("/email"),
                    f.text("/lang"),
                    f.boolean("/rights/is_admin")?,
                    f.boolean("/rights/is_active")?,
                    f.boolean("/rights/is_free")?,
                    f.int("/rights/group_id")?,
                    f.int("/rights/role_id")?,
                ],
            ));
        }
        Entity::LossReasons => {
            let id = f.id("/id")?;
            if let Cell::Text(name) = f.text("/name") {
                lookups.loss_reasons.insert(id, name);
            }
            rows.push((
                "loss_reasons",
                vec![
                    Cell::Int(id),
                    f.text("/name"),
                    f.int("/sort")?,
                    f.time("/created_at")?,
                    f.time("/updated_at")?,
                ],
            ));
        }
        Entity::Customers => {
            let id = f.id("/id")?;
            let responsible = as_int(&f.int("/responsible_user_id")?);
            let mut cells = vec![
                Cell::Int(id),
                f.text("/name"),
                f.money("/next_price")?,
                f.time("/next_date")?,
                user_name(lookups, responsible),
                responsible.map_or(Cell::Null, Cell::Int),
                f.int("/status_id")?,
                f.int("/periodicity")?,
                f.money("/ltv")?,
                f.int("/purchases_count")?,
                f.money("/average_check")?,
                f.names("/_embedded/tags"),
                f.ids("/_embedded/segments"),
                f.ids("/_embedded/contacts"),
                main_id(&f, "/_embedded/contacts"),
                first_id(&f, "/_embedded/companies"),
                f.time("/closest_task_at")?,
                f.int("/account_id")?,
            ];
            cells.extend(audit(&f)?);
            rows.push(("customers", cells));
            custom_values(&f, record.entity, id, &mut lookups.custom_copies, &mut rows)?;
        }
        Entity::Transactions => {
            let id = f.id("/id")?;
            let customer = match f.int("/customer_id")? {
                Cell::Null => f.int("/_embedded/customer/id")?,
                cell => cell,
            };
            let updated_at = f.time("/updated_at")?;
            let mut cells = vec![
                Cell::Int(id),
                customer,
                f.money("/price")?,
                f.time("/completed_at")?,
                f.text("/comment"),
                f.int("/account_id")?,
            ];
            cells.extend(audit(&f)?);
            rows.push(("transactions", cells));
            let items = f
                .get("/_embedded/catalog_elements")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in &items {
                let i = Fields { object: item, zone };
                // The API leaves the quantity out when it is 1.
                let quantity = match i.get("/metadata/quantity") {
                    None => Cell::Float(1.0),
                    Some(v) => v
                        .as_f64()
                        .or_else(|| {
                            v.as_str()
                                .and_then(|s| s.trim().replace(',', ".").parse().ok())
                        })
                        .map(Cell::Float)
                        .ok_or_else(|| i.error("/metadata/quantity", "invalid_number"))?,
                };
                rows.push((
                    "transaction_items",
                    vec![
                        Cell::Int(id),
                        i.int("/id")?,
                        i.int("/metadata/catalog_id")?,
                        quantity,
                        updated_at.clone(),
                    ],
                ));
            }
        }
        Entity::Catalogs => {
            let mut cells = vec![
                Cell::Int(f.id("/id")?),
                f.text("/name"),
                f.text("/type"),
                f.int("/sort")?,
                f.boolean("/can_add_elements")?,
                f.boolean("/can_show_in_cards")?,
                f.boolean("/can_link_multiple")?,
                f.boolean("/can_be_deleted")?,
                f.text("/sdk_widget_code"),
                f.int("/account_id")?,
            ];
            cells.extend(audit(&f)?);
            rows.push(("catalogs", cells));
        }
        Entity::CatalogElements => {
            let id = f.id("/id")?;
            let price = match f.field_values("PRICE", None).first() {
                Some(text) => match parse_money(text) {
                    Ok(Some(cents)) => Cell::Money(cents),
                    Ok(None) => Cell::Null,
                    Err(_) => {
                        return Err(FieldError {
                            field: "custom_fields_values.PRICE".to_owned(),
                            value: text.clone(),
                            code: "invalid_money",
                        });
                    }
                },
                None => Cell::Null,
            };
            let mut cells = vec![
                Cell::Int(id),
                f.int("/catalog_id")?,
                f.text("/name"),
                f.field_text("SKU"),
                price,
                f.field_text("GROUP"),
                f.int("/account_id")?,
            ];
            cells.extend(audit(&f)?);
            rows.push(("catalog_elements", cells));
            custom_values(&f, record.entity, id, &mut lookups.custom_copies, &mut rows)?;
        }
        Entity::Events => {
            let id = match f.get("/id") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(f.error("/id", "missing_id")),
            };
            let kind = f.get("/type").and_then(Value::as_str).unwrap_or_default();
            if kind == "lead_status_changed" {
                let status = |side: &str, key: &str| {
                    f.get(&format!("/{side}/0/lead_status/{key}"))
                        .and_then(Value::as_i64)
                };
                let stage = |side: &str| match (status(side, "pipeline_id"), status(side, "id")) {
                    (Some(p), Some(s)) => lookups
                        .statuses
                        .get(&(p, s))
                        .cloned()
                        .map_or(Cell::Null, Cell::Text),
                    _ => Cell::Null,
                };
                let created_by = as_int(&f.int("/created_by")?);
                let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
                rows.push((
                    "lead_status_changes",
                    vec![
                        Cell::Text(id),
                        f.int("/entity_id")?,
                        f.time("/created_at")?,
                        int(created_by),
                        user_name(lookups, created_by),
                        int(status("value_before", "pipeline_id")),
                        int(status("value_before", "id")),
                        stage("value_before"),
                        int(status("value_after", "pipeline_id")),
                        int(status("value_after", "id")),
                        stage("value_after"),
                        outcome(status("value_after", "id")),
                        f.int("/account_id")?,
                    ],
                ));
            } else {
                let json = |key: &str| f.get(key).map_or(Cell::Null, |v| Cell::Text(v.to_string()));
                rows.push((
                    "events",
                    vec![
                        Cell::Text(id),
                        f.text("/type"),
                        f.text("/entity_type"),
                        f.int("/entity_id")?,
                        f.int("/created_by")?,
                        f.time("/created_at")?,
                        json("/value_before"),
                        json("/value_after"),
                        f.int("/account_id")?,
                    ],
                ));
            }
        }
        Entity::CustomFields => {
            let id = f.id("/id")?;
            let entity_type = match f.text("/entity_type") {
                Cell::Null => Cell::Text("unknown".to_owned()),
                cell => cell,
            };
            rows.push((
                "custom_fields",
                vec![
                    entity_type.clone(),
                    Cell::Int(id),
                    f.text("/name"),
                    f.text("/type"),
                    f.text("/code"),
                    f.int("/sort")?,
                    f.text("/group_id"),
                    f.boolean("/is_api_only")?,
                    f.boolean("/is_predefined")?,
                    f.boolean("/is_deletable")?,
                    f.int("/account_id")?,
                ],
            ));
            let enums = f
                .get("/enums")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in &enums {
                let e = Fields { object: item, zone };
                rows.push((
                    "custom_field_enums",
                    vec![
                        entity_type.clone(),
                        Cell::Int(id),
                        e.int("/id")?,
                        e.text("/value"),
                        e.int("/sort")?,
                    ],
                ));
            }
        }
    }
    Ok(rows)
}

fn audit(f: &Fields<'_>) -> Result<Vec<Cell>, FieldError> {
    Ok(vec![
        f.int("/created_by")?,
        f.int("/updated_by")?,
        f.time("/created_at")?,
        f.time("/updated_at")?,
        f.boolean("/is_deleted")?,
    ])
}

/// Adds a `custom_field_values` row per value of each custom field of an entity. Values are kept
/// as text, and numbers, dates and checkboxes also in typed columns by the field's type.
fn custom_values(
    f: &Fields<'_>,
    entity: Entity,
    id: i64,
    copies: &mut HashMap<(Entity, i64), Option<i64>>,
    rows: &mut Rows,
) -> Result<(), FieldError> {
    let updated_at = f.time("/updated_at")?;
    let version = match updated_at {
        Cell::Time(micros) => Some(micros),
        _ => None,
    };
    if let Some(written) = copies.get(&(entity, id))
        && !matches!((version, written), (Some(new), Some(old)) if new > *old)
    {
        return Ok(());
    }
    let Some(fields) = f.get("/custom_fields_values").and_then(Value::as_array) else {
        copies.insert((entity, id), version);
        return Ok(());
    };
    for (field_index, field) in fields.iter().enumerate() {
        let field_type = field
            .get("field_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let values = field
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (position, item) in values.iter().enumerate() {
            let value = item.get("value").unwrap_or(&Value::Null);
            let text = match value {
                Value::Null => Cell::Null,
                Value::String(s) => Cell::Text(s.clone()),
                other => Cell::Text(other.to_string()),
            };
            let bad = |code: &'static str| FieldError {
                field: format!("custom_fields_values[{field_index}].values[{position}].value"),
                value: value.to_string(),
                code,
            };
            let number = match field_type {
                "numeric" | "price" | "monetary" => match value {
                    Value::Null => Cell::Null,
                    Value::Number(n) => n.as_f64().map_or(Cell::Null, Cell::Float),
                    Value::String(s) => match crate::values::parse_float(s) {
                        Ok(Some(number)) => Cell::Float(number),
                        Ok(None) => Cell::Null,
                        Err(_) => return Err(bad("invalid_number")),
                    },
                    _ => return Err(bad("invalid_number")),
                },
                _ => Cell::Null,
            };
            let time = match field_type {
                "date" | "date_time" | "birthday" => match value {
                    Value::Number(n) => n
                        .as_i64()
                        .map(|s| Cell::Time(s.saturating_mul(1_000_000)))
                        .ok_or_else(|| bad("invalid_date"))?,
                    Value::String(s) => match s.trim().parse::<i64>() {
                        Ok(seconds) => Cell::Time(seconds.saturating_mul(1_000_000)),
                        Err(_) => match chrono::DateTime::parse_from_rfc3339(s.trim()) {
                            Ok(time) => Cell::Time(time.timestamp_micros()),
                            Err(_) => return Err(bad("invalid_date")),
                        },
                    },
                    _ => Cell::Null,
                },
                _ => Cell::Null,
            };
            let flag = match (field_type, value) {
                ("checkbox", Value::Bool(b)) => Cell::Bool(*b),
                ("checkbox", Value::Number(n)) => Cell::Bool(n.as_i64().unwrap_or(0) != 0),
                _ => Cell::Null,
            };
            rows.push((
                "custom_field_values",
                vec![
                    Cell::Text(entity.api_name().to_owned()),
                    Cell::Int(id),
                    field
                        .get("field_id")
                        .and_then(Value::as_i64)
                        .map_or(Cell::Null, Cell::Int),
                    field
                        .get("field_name")
                        .and_then(Value::as_str)
                        .map_or(Cell::Null, |s| Cell::Text(s.to_owned())),
                    field
                        .get("field_code")
                        .and_then(Value::as_str)
                        .map_or(Cell::Null, |s| Cell::Text(s.to_owned())),
                    Cell::Text(field_type.to_owned()),
                    Cell::Int(position as i64 + 1),
                    text,
                    number,
                    time,
                    flag,
                    item.get("enum_id")
                        .and_then(Value::as_i64)
                        .map_or(Cell::Null, Cell::Int),
                    item.get("enum_code")
                        .and_then(Value::as_str)
                        .map_or(Cell::Null, |s| Cell::Text(s.to_owned())),
                    updated_at.clone(),
                ],
            ));
        }
    }
    copies.insert((entity, id), version);
    Ok(())
}

/// Rows of the API tables written by an import, per table.
pub(crate) struct Written {
    pub tables: Vec<WrittenTable>,
}

pub(crate) struct WrittenTable {
    pub table: &'static str,
    pub files: Vec<DataFile>,
    pub sources: Vec<SourceMeta>,
    pub rejects: RejectsWriter,
    pub key: Vec<String>,
    pub version: Option<&'static str>,
    pub mode: KeyMode,
}

/// Imports API JSON files. Files of users, pipelines and loss reasons are read first, so leads
/// of the same import get names from them.
pub(crate) fn import_files(
    transaction: &mut Transaction,
    paths: &[PathBuf],
    zone: Tz,
    l: &Localizer,
) -> Result<Written, ImportError> {
    let mut ordered = Vec::with_capacity(paths.len());
    for path in paths {
        ordered.push((first_entity(path)?, path.clone()));
    }
    ordered.sort_by_key(|(entity, _)| *entity);

    let mut lookups = Lookups::from_warehouse(transaction);
    let mut writers: HashMap<&'static str, (TableSpec, TableWriter, RejectsWriter)> =
        HashMap::new();
    let mut sources: HashMap<&'static str, Vec<SourceMeta>> = HashMap::new();
    for (_, path) in &ordered {
        let mut counts: HashMap<&'static str, (u64, u64)> = HashMap::new();
        // A record that cannot be placed in a table is rejected into the table its file feeds
        // most, or `deals`.
        let mut last_table: &'static str = "deals";
        read_records(path, |record| {
            match record {
                Ok(record) => {
                    let main = main_table(record.entity);
                    last_table = main;
                    match rows_of(&record, &mut lookups, zone) {
                        Ok(rows) => {
                            for (table, cells) in rows {
                                counts.entry(table).or_default().0 += 1;
                                let (_, writer, _) =
                                    writer_for(&mut writers, transaction, table, zone)?;
                                writer.push_row(cells)?;
                            }
                        }
                        Err(error) => {
                            counts.entry(main).or_default().1 += 1;
                            let (_, _, rejects) =
                                writer_for(&mut writers, transaction, main, zone)?;
                            let reason = l.format(
                                field_message(error.code),
                                &[("timezone", Arg::from(zone.name()))],
                            );
                            rejects.write(Reject {
                                file: path.clone(),
                                line: if record.place.index > 0 {
                                    record.place.index as u64
                                } else {
                                    record.place.line
                                },
                                column: format!("{}.{}", record.path, error.field),
                                value: error.value,
                                reason_code: error.code,
                                reason,
                                record: record
                                    .line_text
                                    .clone()
                                    .unwrap_or_else(|| record.object.to_string()),
                            })?;
                        }
                    }
                }
                Err(bad) => {
                    counts.entry(last_table).or_default().1 += 1;
                    let (_, _, rejects) = writer_for(&mut writers, transaction, last_table, zone)?;
                    let reason = if bad.code == "invalid_json" {
                        l.format(
                            "reject-invalid-json",
                            &[("detail", Arg::from(l.text(&bad.detail)))],
                        )
                    } else {
                        l.text("reject-unknown-entity")
                    };
                    rejects.write(Reject {
                        file: path.clone(),
                        line: if bad.place.index > 0 {
                            bad.place.index as u64
                        } else {
                            bad.place.line
                        },
                        column: String::new(),
                        value: String::new(),
                        reason_code: bad.code,
                        reason,
                        record: bad.text,
                    })?;
                }
            }
            Ok(())
        })?;
        let is_lines = is_json_lines(path);
        for (table, (rows, rejected)) in counts {
            sources.entry(table).or_default().push(SourceMeta {
                path: path.display().to_string(),
                format: if is_lines { "jsonl" } else { "json" }.to_owned(),
                encoding: "utf-8".to_owned(),
                delimiter: String::new(),
                rows,
                rejected,
                columns: spec(table)
                    .map(|s| {
                        s.columns
                            .iter()
                            .enumerate()
                            .map(|(position, c)| ColumnMeta {
                                name: c.name.clone(),
                                label: c.name.clone(),
                                position,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                fingerprint: None,
                sheet: None,
            });
        }
    }

    let mut tables = Vec::new();
    let mut names: Vec<&'static str> = writers.keys().copied().collect();
    names.sort();
    for name in names {
        let Some((spec, writer, rejects)) = writers.remove(name) else {
            continue;
        };
        let file = writer.finish()?;
        let table_sources = sources.remove(name).unwrap_or_default();
        tables.push(WrittenTable {
            table: spec.name,
            files: file.into_iter().collect(),
            sources: table_sources,
            rejects,
            key: spec.key.iter().map(|k| (*k).to_owned()).collect(),
            version: spec.version,
            mode: spec.mode,
        });
    }
    Ok(Written { tables })
}

fn is_json_lines(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut lines = BufReader::new(file).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    serde_json::from_str::<Value>(&first).is_ok() && lines.next().is_some()
}

/// Table a record of `entity` counts toward.
fn main_table(entity: Entity) -> &'static str {
    match entity {
        Entity::Leads => "deals",
        Entity::Contacts => "contacts",
        Entity::Companies => "companies",
        Entity::Customers => "customers",
        Entity::Transactions => "transactions",
        Entity::CatalogElements => "catalog_elements",
        Entity::Catalogs => "catalogs",
        Entity::Users => "users",
        Entity::CustomFields => "custom_fields",
        Entity::Pipelines => "pipelines",
        Entity::LossReasons => "loss_reasons",
        Entity::Events => "events",
    }
}

/// Reason code of an amount that does not parse: too precise, too large, or not an amount.
fn money_code(error: &crate::values::ValueError) -> &'static str {
    match error.code() {
        code @ ("too_many_decimals" | "money_out_of_range") => code,
        _ => "invalid_money",
    }
}

fn field_message(code: &str) -> &'static str {
    match code {
        "invalid_integer" => "reject-invalid-integer",
        "invalid_money" => "reject-invalid-api-money",
        "too_many_decimals" => "reject-too-many-decimals",
        "money_out_of_range" => "reject-money-out-of-range",
        "invalid_date" => "reject-invalid-api-time",
        "date_out_of_range" => "reject-date-out-of-range",
        "invalid_boolean" => "reject-invalid-boolean",
        "invalid_number" => "reject-invalid-number",
        _ => "reject-missing-id",
    }
}

fn writer_for<'w>(
    writers: &'w mut HashMap<&'static str, (TableSpec, TableWriter, RejectsWriter)>,
    transaction: &mut Transaction,
    table: &'static str,
    zone: Tz,
) -> Result<&'w mut (TableSpec, TableWriter, RejectsWriter), ImportError> {
    if !writers.contains_key(table) {
        let spec = spec(table).ok_or_else(|| ImportError::Io {
            path: PathBuf::from(table),
            source: std::io::Error::other("no such API table"),
        })?;
        let writer = TableWriter::create(transaction, table, &spec.columns, zone.name())?;
        let rejects = RejectsWriter::new(&transaction.rejects_path(table)?);
        writers.insert(table, (spec, writer, rejects));
    }
    writers.get_mut(table).ok_or_else(|| ImportError::Io {
        path: PathBuf::from(table),
        source: std::io::Error::other("no such API table"),
    })
}

/// Counts the records of an API file by table, for a dry run.
pub(crate) fn count_records(path: &Path) -> Result<Vec<(&'static str, u64)>, ImportError> {
    let mut counts: Vec<(&'static str, u64)> = Vec::new();
    let mut count = |table: &'static str, n: u64| match counts.iter_mut().find(|(t, _)| *t == table)
    {
        Some((_, total)) => *total += n,
        None => counts.push((table, n)),
    };
    read_records(path, |record| {
        let Ok(record) = record else {
            count("?", 1);
            return Ok(());
        };
        let status_change = record.entity == Entity::Events
            && record.object.get("type").and_then(Value::as_str) == Some("lead_status_changed");
        count(
            if status_change {
                "lead_status_changes"
            } else {
                main_table(record.entity)
            },
            1,
        );
        // Tables filled from parts of the record; they add no records of the file.
        let has_list = |key: &str| {
            record
                .object
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|list| !list.is_empty())
        };
        if has_list("custom_fields_values") {
            count("custom_field_values", 0);
        }
        match record.entity {
            Entity::Pipelines => count("statuses", 0),
            Entity::CustomFields if has_list("enums") => count("custom_field_enums", 0),
            Entity::Transactions => count("transaction_items", 0),
            _ => {}
        }
        Ok(())
    })?;
    Ok(counts)
}

/// Lists the columns of an API table, for a dry run.
pub(crate) fn describe(table: &str) -> Vec<(String, String, String)> {
    spec(table)
        .map(|s| {
            s.columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.name.clone(),
                        crate::output::kind_sql_name(c.kind).to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
