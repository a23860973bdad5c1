//! The contacts and companies exports of amoCRM's web interface.
//!
//! The contacts list export mixes contacts and companies, marked by its `Тип` column, and each
//! row goes to the `contacts` or the `companies` table. A companies list export has
//! no `Тип` and every row is a company. Phones and e-mails become lists, one per export column and
//! one with all of them, since a cell may hold several numbers joined by commas.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono_tz::Tz;
use crmsql_i18n::{Arg, Localizer};
use crmsql_schema::naming::{normalize_label, snake_case};
use crmsql_schema::warehouse::{ColumnMeta, DataFile, SourceMeta, Transaction};

use crate::error::ImportError;
use crate::generic::{self, TextSource};
use crate::output::{Cell, ColumnDef, Kind, TableWriter};
use crate::rejects::{Reject, RejectsWriter};
use crate::values::{ValueError, parse_integer, parse_wall_time, split_tags, wall_time_to_micros};

/// Entity of a row of a contacts or companies export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Entity {
    Contact,
    Company,
}

impl Entity {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Entity::Contact => "contacts",
            Entity::Company => "companies",
        }
    }
}

/// Parsing rule of a known column's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Id,
    Text,
    Time,
    List,
    /// Comma-separated phone numbers, with a spreadsheet's leading `'` removed.
    Phones,
    /// Comma-separated e-mail addresses.
    Emails,
    /// The row's entity type: `контакт` or `компания`; not stored.
    EntityType,
}

struct Known {
    name: &'static str,
    read: Read,
    labels: &'static [&'static str],
    /// Whether a company row keeps the column.
    companies: bool,
}

const fn known(
    name: &'static str,
    read: Read,
    labels: &'static [&'static str],
    companies: bool,
) -> Known {
    Known {
        name,
        read,
        labels,
        companies,
    }
}

const KNOWN: &[Known] = &[
    known("id", Read::Id, &["id"], true),
    known("entity_type", Read::EntityType, &["тип"], false),
    known(
        "name",
        Read::Text,
        &["полное имя контакта", "полное имя", "наименование"],
        true,
    ),
    known("first_name", Read::Text, &["имя"], false),
    known("last_name", Read::Text, &["фамилия"], false),
    known(
        "company",
        Read::Text,
        &["название компании", "компания", "компания контакта"],
        false,
    ),
    known(
        "manager",
        Read::Text,
        &[
            "ответственный",
            "ответственный за контакт",
            "ответственный за компанию",
        ],
        true,
    ),
    known(
        "created_at",
        Read::Time,
        &[
            "дата создания контакта",
            "дата создания компании",
            "дата создания",
        ],
        true,
    ),
    known(
        "created_by",
        Read::Text,
        &[
            "кем создан контакт",
            "кем создана компания",
            "кем создан",
            "кем создана",
        ],
        true,
    ),
    known(
        "updated_at",
        Read::Time,
        &["дата редактирования", "дата изменения"],
        true,
    ),
    known(
        "updated_by",
        Read::Text,
        &[
            "кем редактирован",
            "кем редактирована",
            "кем изменен",
            "кем изменена",
        ],
        true,
    ),
    known("deals", Read::Text, &["сделки"], true),
    known(
        "tags",
        Read::List,
        &["теги", "теги контакта", "теги компании"],
        true,
    ),
    known("work_phone", Read::Phones, &["рабочий телефон"], true),
    known(
        "work_direct_phone",
        Read::Phones,
        &["рабочий прямой телефон", "рабочий прямой"],
        true,
    ),
    known(
        "mobile_phone",
        Read::Phones,
        &["мобильный телефон", "мобильный"],
        true,
    ),
    known("fax", Read::Phones, &["факс"], true),
    known(
        "home_phone",
        Read::Phones,
        &["домашний телефон", "домашний"],
        true,
    ),
    known(
        "other_phone",
        Read::Phones,
        &["другой телефон", "телефон"],
        true,
    ),
    known(
        "work_email",
        Read::Emails,
        &["рабочий email", "рабочий e-mail", "email"],
        true,
    ),
    known(
        "personal_email",
        Read::Emails,
        &["личный email", "личный e-mail"],
        true,
    ),
    known(
        "other_email",
        Read::Emails,
        &["другой email", "другой e-mail"],
        true,
    ),
    known("web", Read::Text, &["web", "сайт"], true),
    known("address", Read::Text, &["адрес"], true),
    known("position", Read::Text, &["должность"], false),
    known("skype", Read::Text, &["skype"], true),
    known("icq", Read::Text, &["icq"], true),
    known("jabber", Read::Text, &["jabber"], true),
    known("google_talk", Read::Text, &["google talk"], true),
    known("msn", Read::Text, &["msn"], true),
    known("other_im", Read::Text, &["другой im"], true),
];

/// Reports whether a header is a contacts or companies export, and which.
pub(crate) fn detect(labels: &[String]) -> Option<Entity> {
    let normalized: Vec<String> = labels.iter().map(|l| normalize_label(l)).collect();
    let has = |label: &str| normalized.iter().any(|l| l == label);
    if !has("id") || has("название сделки") || has("этап сделки") {
        return None;
    }
    if has("тип")
        || has("полное имя контакта")
        || has("дата создания контакта")
        || (has("имя") && has("фамилия"))
    {
        return Some(Entity::Contact);
    }
    if has("название компании") || has("дата создания компании")
    {
        return Some(Entity::Company);
    }
    None
}

#[derive(Debug, Clone)]
struct Column {
    def: ColumnDef,
    read: Read,
    /// Export columns read into it, first non-empty wins; all of them for the combined lists.
    positions: Vec<usize>,
    companies: bool,
}

/// Plans the columns of both tables from a contacts or companies export header.
fn plan(labels: &[String], entity: Entity) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (position, label) in labels.iter().enumerate() {
        let normalized = normalize_label(label);
        let known = KNOWN
            .iter()
            .find(|k| k.labels.contains(&normalized.as_str()));
        // In a companies export, `Название компании` is the company's own name.
        let known = match (entity, known) {
            (Entity::Company, Some(k)) if k.name == "company" => {
                KNOWN.iter().find(|k| k.name == "name")
            }
            (_, other) => other,
        };
        let note = normalized
            .strip_prefix("примечание")
            .map(str::trim)
            .and_then(|rest| {
                if rest.is_empty() {
                    Some(1)
                } else {
                    rest.parse::<u32>().ok()
                }
            });
        let (base, read, companies) = match (known, note) {
            (Some(k), _) => (k.name.to_owned(), k.read, k.companies),
            (None, Some(n)) => (format!("note_{n}"), Read::Text, true),
            (None, None) => {
                let name = snake_case(label);
                let name = if name.is_empty() {
                    format!("column_{}", position + 1)
                } else {
                    name
                };
                (name, Read::Text, true)
            }
        };
        if let Some(existing) = columns.iter_mut().find(|c| c.def.name == base)
            && known.is_some()
            && read != Read::Id
        {
            // A repeated known label fills the column when its first cell is empty.
            existing.positions.push(position);
            let count = seen.entry(base.clone()).or_insert(1);
            *count += 1;
            continue;
        }
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let name = if *count == 1 {
            base
        } else {
            format!("{base}__{count}")
        };
        let kind = match read {
            Read::Id => Kind::Int,
            Read::Text | Read::EntityType => Kind::Text,
            Read::Time => Kind::Time,
            Read::List | Read::Phones | Read::Emails => Kind::List,
        };
        columns.push(Column {
            def: ColumnDef::new(&name, kind).labeled(label),
            read,
            positions: vec![position],
            companies,
        });
    }
    let combined = |read: Read| -> Vec<usize> {
        columns
            .iter()
            .filter(|c| c.read == read)
            .flat_map(|c| c.positions.clone())
            .collect()
    };
    let phones = combined(Read::Phones);
    let emails = combined(Read::Emails);
    for (name, read, positions) in [
        ("phones", Read::Phones, phones),
        ("emails", Read::Emails, emails),
    ] {
        if !positions.is_empty() && !columns.iter().any(|c| c.def.name == name) {
            columns.push(Column {
                def: ColumnDef::new(name, Kind::List),
                read,
                positions,
                companies: true,
            });
        }
    }
    columns
}

/// Lists the label, column name and SQL type of each column, for a dry run.
pub(crate) fn describe(labels: &[String], entity: Entity) -> Vec<(String, String, String)> {
    plan(labels, entity)
        .into_iter()
        .filter(|c| c.read != Read::EntityType)
        .map(|c| {
            (
                c.def.label.clone().unwrap_or_default(),
                c.def.name.clone(),
                crate::output::kind_sql_name(c.def.kind).to_owned(),
            )
        })
        .collect()
}

/// Lists the labels that match no known column.
pub(crate) fn unknown_labels(labels: &[String], entity: Entity) -> Vec<String> {
    let _ = entity;
    labels
        .iter()
        .filter(|label| {
            let normalized = normalize_label(label);
            !KNOWN
                .iter()
                .any(|k| k.labels.contains(&normalized.as_str()))
                && !normalized.starts_with("примечание")
        })
        .cloned()
        .collect()
}

fn split_phones(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(|p| p.trim().trim_start_matches('\'').trim())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn read_cell(read: Read, text: &str, zone: Tz) -> Result<Cell, ValueError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(match read {
            Read::List | Read::Phones | Read::Emails => Cell::List(Vec::new()),
            _ => Cell::Null,
        });
    }
    Ok(match read {
        Read::Id => parse_integer(trimmed)?.map_or(Cell::Null, Cell::Int),
        Read::Text | Read::EntityType => Cell::Text(trimmed.to_owned()),
        Read::Time => match parse_wall_time(trimmed)? {
            Some(wall) => Cell::Time(wall_time_to_micros(wall, zone)?),
            None => Cell::Null,
        },
        Read::List => Cell::List(split_tags(trimmed).map(str::to_owned).collect()),
        Read::Phones | Read::Emails => Cell::List(split_phones(trimmed)),
    })
}

/// Rows of one contacts or companies export written so far.
pub(crate) struct Written {
    pub files: HashMap<Entity, Vec<DataFile>>,
    pub sources: HashMap<Entity, Vec<SourceMeta>>,
    /// Rows read from the files, whichever table they went to.
    pub read: u64,
}

/// Settings shared by the files of one import.
pub(crate) struct Context<'a> {
    pub zone: Tz,
    pub l: &'a Localizer,
}

/// Imports contacts and companies exports into the two tables.
pub(crate) fn import_files(
    transaction: &mut Transaction,
    sources: &[(TextSource, Entity)],
    rejects: &mut HashMap<Entity, RejectsWriter>,
    context: &Context<'_>,
) -> Result<Written, ImportError> {
    let mut written = Written {
        files: HashMap::new(),
        sources: HashMap::new(),
        read: 0,
    };
    for (source, entity) in sources {
        let columns = plan(&source.labels, *entity);
        import_file(
            transaction,
            source,
            *entity,
            &columns,
            rejects,
            context,
            &mut written,
        )?;
    }
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn import_file(
    transaction: &mut Transaction,
    source: &TextSource,
    file_entity: Entity,
    columns: &[Column],
    rejects: &mut HashMap<Entity, RejectsWriter>,
    context: &Context<'_>,
    written: &mut Written,
) -> Result<(), ImportError> {
    let l = context.l;
    let zone_name = context.zone.name();
    let defs_for = |entity: Entity| -> Vec<ColumnDef> {
        columns
            .iter()
            .filter(|c| c.read != Read::EntityType)
            .filter(|c| entity == Entity::Contact || c.companies)
            .map(|c| c.def.clone())
            .collect()
    };
    let mut writers: HashMap<Entity, TableWriter> = HashMap::new();
    for entity in [Entity::Contact, Entity::Company] {
        writers.insert(
            entity,
            TableWriter::create(transaction, entity.table(), &defs_for(entity), zone_name)?,
        );
    }
    let mut counts: HashMap<Entity, (u64, u64)> = HashMap::new();
    let type_position = columns
        .iter()
        .find(|c| c.read == Read::EntityType)
        .map(|c| c.positions[0]);
    let position_of = |name: &str| {
        columns
            .iter()
            .find(|c| c.def.name == name)
            .map(|c| c.positions[0])
    };
    let (deals_at, updated_at, updated_by) = (
        position_of("deals"),
        position_of("updated_at"),
        position_of("updated_by"),
    );
    let mut records = generic::records(source)?;
    let expected = source.labels.len();
    while let Some(mut record) = records.next(&source.path, source.encoding)? {
        written.read += 1;
        let entity = match type_position
            .map(|p| normalize_label(&record.fields.get(p).cloned().unwrap_or_default()))
        {
            None => Some(file_entity),
            Some(kind) => match kind.as_str() {
                "контакт" | "contact" => Some(Entity::Contact),
                "компания" | "company" => Some(Entity::Company),
                _ => None,
            },
        };
        let target = entity.unwrap_or(file_entity);
        let rejects_writer = rejects.get_mut(&target).ok_or_else(|| ImportError::Io {
            path: source.path.clone(),
            source: std::io::Error::other("no rejects file"),
        })?;
        let text = source.record_text(&record.fields);
        let reject = |writer: &mut RejectsWriter,
                      column: &str,
                      value: &str,
                      code: &'static str,
                      reason: String| {
            writer.write(Reject {
                file: source.path.clone(),
                line: record.line,
                column: column.to_owned(),
                value: value.to_owned(),
                reason_code: code,
                reason,
                record: text.clone(),
            })
        };
        let counter = counts.entry(target).or_default();
        if record.fields.len() != expected {
            let reason = l.format(
                "reject-field-count",
                &[
                    ("expected", Arg::from(expected)),
                    ("actual", Arg::from(record.fields.len())),
                ],
            );
            reject(rejects_writer, "", "", "wrong_field_count", reason)?;
            counter.1 += 1;
            continue;
        }
        if let Some(position) = record.bad_encoding {
            let reason = l.format(
                "reject-invalid-encoding",
                &[("encoding", Arg::from(source.encoding.to_string()))],
            );
            reject(
                rejects_writer,
                &source.labels[position],
                &record.fields[position].clone(),
                "invalid_encoding",
                reason,
            )?;
            counter.1 += 1;
            continue;
        }
        let Some(entity) = entity else {
            let position = type_position.unwrap_or_default();
            reject(
                rejects_writer,
                &source.labels[position],
                &record.fields[position].clone(),
                "invalid_entity_type",
                l.text("reject-invalid-entity-type"),
            )?;
            counter.1 += 1;
            continue;
        };
        // Some exports put the edit date under `Сделки` and shift the next two cells. When the
        // contents show this, the cells are put back in place.
        if let (Some(d), Some(u), Some(b)) = (deals_at, updated_at, updated_by) {
            let is_time = |text: &str| matches!(parse_wall_time(text), Ok(Some(_)));
            if is_time(&record.fields[d])
                && !record.fields[u].trim().is_empty()
                && !is_time(&record.fields[u])
            {
                let date = std::mem::take(&mut record.fields[d]);
                let by = std::mem::replace(&mut record.fields[u], date);
                let deals = std::mem::replace(&mut record.fields[b], by);
                record.fields[d] = deals;
            }
        }
        let mut cells = Vec::with_capacity(columns.len());
        let mut failure = None;
        for column in columns {
            if column.read == Read::EntityType || (entity == Entity::Company && !column.companies) {
                continue;
            }
            let cell = if matches!(column.def.name.as_str(), "phones" | "emails") {
                let mut all = Vec::new();
                for position in &column.positions {
                    all.extend(split_phones(&record.fields[*position]));
                }
                Ok((Cell::List(all), 0))
            } else {
                let position = column
                    .positions
                    .iter()
                    .copied()
                    .find(|p| !record.fields[*p].trim().is_empty())
                    .unwrap_or(column.positions[0]);
                read_cell(column.read, &record.fields[position], context.zone)
                    .map(|c| (c, position))
            };
            match cell {
                Ok((cell, _)) => cells.push(cell),
                Err(error) => {
                    let position = column
                        .positions
                        .iter()
                        .copied()
                        .find(|p| !record.fields[*p].trim().is_empty())
                        .unwrap_or(column.positions[0]);
                    failure = Some((position, error));
                    break;
                }
            }
        }
        if let Some((position, error)) = failure {
            let reason = l.format(error.message_id(), &[("timezone", Arg::from(zone_name))]);
            reject(
                rejects_writer,
                &source.labels[position],
                &record.fields[position].clone(),
                error.code(),
                reason,
            )?;
            counter.1 += 1;
            continue;
        }
        // A repeated id is merged later like a copy from another export.
        if !matches!(cells.first(), Some(Cell::Int(_))) {
            reject(
                rejects_writer,
                &source.labels[0],
                "",
                "missing_id",
                l.text("reject-missing-id"),
            )?;
            counter.1 += 1;
            continue;
        }
        if let Some(writer) = writers.get_mut(&entity) {
            writer.push_row(cells)?;
        }
        counter.0 += 1;
    }
    for entity in [Entity::Contact, Entity::Company] {
        let Some(writer) = writers.remove(&entity) else {
            continue;
        };
        let file = writer.finish()?;
        let (rows, rejected) = counts.get(&entity).copied().unwrap_or_default();
        if file.is_none() && rows + rejected == 0 {
            continue;
        }
        written.files.entry(entity).or_default().extend(file);
        written.sources.entry(entity).or_default().push(SourceMeta {
            path: source.path.display().to_string(),
            format: if source.sheet.is_some() {
                "xlsx"
            } else {
                "csv"
            }
            .to_owned(),
            encoding: source.encoding.to_string(),
            delimiter: source.layout.name(),
            rows,
            rejected,
            columns: columns
                .iter()
                .filter(|c| c.read != Read::EntityType)
                .filter(|c| entity == Entity::Contact || c.companies)
                .filter(|c| c.def.label.is_some())
                .map(|c| ColumnMeta {
                    name: c.def.name.clone(),
                    label: c.def.label.clone().unwrap_or_default(),
                    position: c.positions[0],
                })
                .collect(),
            fingerprint: None,
            sheet: source.sheet.clone(),
        });
    }
    Ok(())
}

/// Paths of the files an import read, for messages.
pub(crate) fn paths(sources: &[(TextSource, Entity)]) -> Vec<PathBuf> {
    sources.iter().map(|(s, _)| s.path.clone()).collect()
}
