//! Typed columns and the Parquet files an import writes.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use crmsql_schema::warehouse::{DataFile, Transaction};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;

use crate::error::ImportError;

/// Rows per Arrow batch handed to the Parquet writer.
pub(crate) const BATCH_ROWS: usize = 16 * 1024;
/// Rows per Parquet row group: small enough that a filter on dates can skip row groups by their
/// statistics, large enough to compress well.
pub(crate) const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Field metadata key that keeps the source label of a column.
pub const LABEL_METADATA_KEY: &str = "crmsql.label";

/// Settings of every Parquet file of a warehouse. Compression is zstd at its fastest level.
/// Every row group has statistics for pruning, and so does every page of the date columns that
/// period filters use. Dictionaries suit the few distinct values of manager, stage and channel.
pub(crate) fn writer_properties() -> WriterProperties {
    writer_properties_with_plain(&[])
}

/// Kind of a column that gets its own Parquet settings: mostly distinct values, or a few names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distinct {
    /// Text such as notes and phones: neither a dictionary nor statistics, which would cost
    /// time on every value and help neither the size nor a filter.
    Text,
    /// IDs and times: no dictionary, but statistics, which filters on periods use.
    Number,
    /// Text of a few repeated names, such as stages and managers: a dictionary and statistics
    /// but no compression. The dictionary indices take a few bits a row, so zstd saves little,
    /// while a reader would make a zstd context for every column chunk it opens.
    Few,
}

/// Settings like [`writer_properties`] for a table whose columns in `plain` hold mostly
/// distinct values or a few names.
pub(crate) fn writer_properties_with_plain(plain: &[(ColumnPath, Distinct)]) -> WriterProperties {
    let level = ZstdLevel::try_new(1).unwrap_or_default();
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_dictionary_enabled(true)
        .set_created_by(format!("crmsql {}", env!("CARGO_PKG_VERSION")));
    for column in [
        "created_at",
        "closed_at",
        "updated_at",
        "date",
        "month",
        "completed_at",
    ] {
        builder = builder
            .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::Page);
    }
    for (column, distinct) in plain {
        builder = match distinct {
            Distinct::Text => builder
                .set_column_dictionary_enabled(column.clone(), false)
                .set_column_statistics_enabled(column.clone(), EnabledStatistics::None),
            Distinct::Number => builder.set_column_dictionary_enabled(column.clone(), false),
            Distinct::Few => {
                builder.set_column_compression(column.clone(), Compression::UNCOMPRESSED)
            }
        };
    }
    builder.build()
}

/// Type of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BIGINT.
    Int,
    /// DECIMAL(18, 2): money and other amounts with kopecks or cents.
    Money,
    /// DOUBLE.
    Float,
    Bool,
    /// DATE.
    Date,
    /// TIMESTAMP WITH TIME ZONE in the account's zone.
    Time,
    Text,
    /// LIST of TEXT.
    List,
    /// LIST of BIGINT, for ids of linked entities.
    IntList,
}

impl Kind {
    pub(crate) fn data_type(self, zone: &str) -> DataType {
        match self {
            Kind::Int => DataType::Int64,
            Kind::Money => DataType::Decimal128(18, 2),
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Date => DataType::Date32,
            Kind::Time => DataType::Timestamp(TimeUnit::Microsecond, Some(zone.into())),
            Kind::Text => DataType::Utf8,
            Kind::List => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            Kind::IntList => DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
        }
    }

    /// Returns the kind that reads back as `data_type`, for columns a table already has.
    pub(crate) fn of(data_type: &DataType) -> Option<Kind> {
        Some(match data_type {
            DataType::Int64 | DataType::Int32 => Kind::Int,
            DataType::Decimal128(_, 2) => Kind::Money,
            DataType::Float64 => Kind::Float,
            DataType::Boolean => Kind::Bool,
            DataType::Date32 => Kind::Date,
            DataType::Timestamp(_, Some(_)) => Kind::Time,
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => Kind::Text,
            DataType::List(item) if item.data_type() == &DataType::Int64 => Kind::IntList,
            DataType::List(_) => Kind::List,
            _ => return None,
        })
    }
}

/// SQL name of the type a column kind is stored as.
pub(crate) fn kind_sql_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "BIGINT",
        Kind::Money => "DECIMAL(18, 2)",
        Kind::Float => "DOUBLE",
        Kind::Bool => "BOOLEAN",
        Kind::Date => "DATE",
        Kind::Time => "TIMESTAMP WITH TIME ZONE",
        Kind::Text => "TEXT",
        Kind::List => "LIST of TEXT",
        Kind::IntList => "LIST of BIGINT",
    }
}

/// Column of a table being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// Header label or source field the column comes from.
    pub label: Option<String>,
    pub kind: Kind,
    pub nullable: bool,
}

impl ColumnDef {
    pub(crate) fn new(name: &str, kind: Kind) -> ColumnDef {
        ColumnDef {
            name: name.to_owned(),
            label: None,
            kind,
            nullable: true,
        }
    }

    pub(crate) fn labeled(mut self, label: &str) -> ColumnDef {
        self.label = Some(label.to_owned());
        self
    }
}

/// Builds the Arrow schema of `columns`, keeping each label in the field metadata.
pub(crate) fn schema_of(columns: &[ColumnDef], zone: &str) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|column| {
            let field = Field::new(&column.name, column.kind.data_type(zone), column.nullable);
            match &column.label {
                Some(label) => field.with_metadata(HashMap::from([(
                    LABEL_METADATA_KEY.to_owned(),
                    label.clone(),
                )])),
                None => field,
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A typed value ready to append.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    /// Hundredths.
    Money(i128),
    Float(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since the Unix epoch.
    Time(i64),
    Text(String),
    List(Vec<String>),
    IntList(Vec<i64>),
}

enum ColumnBuilder {
    Int(Int64Builder),
    Money(Decimal128Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Time(TimestampMicrosecondBuilder),
    Text(StringBuilder),
    List(ListBuilder<StringBuilder>),
    IntList(ListBuilder<Int64Builder>),
}

impl ColumnBuilder {
    fn new(kind: Kind, zone: &str) -> ColumnBuilder {
        match kind {
            Kind::Int => ColumnBuilder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            Kind::Money => ColumnBuilder::Money(
                Decimal128Builder::with_capacity(BATCH_ROWS)
                    .with_data_type(DataType::Decimal128(18, 2)),
            ),
            Kind::Float => ColumnBuilder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            Kind::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            Kind::Date => ColumnBuilder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            Kind::Time => ColumnBuilder::Time(
                TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS).with_timezone(zone),
            ),
            Kind::Text => ColumnBuilder::Text(StringBuilder::new()),
            Kind::List => ColumnBuilder::List(ListBuilder::new(StringBuilder::new())),
            Kind::IntList => ColumnBuilder::IntList(ListBuilder::new(Int64Builder::new())),
        }
    }

    /// Appends `cell`; a cell of another type than the column's is appended as NULL.
    fn append(&mut self, cell: Cell) {
        match (self, cell) {
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::Money(b), Cell::Money(v)) => b.append_value(v),
            (ColumnBuilder::Float(b), Cell::Float(v)) => b.append_value(v),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Date(b), Cell::Date(v)) => b.append_value(v),
            (ColumnBuilder::Time(b), Cell::Time(v)) => b.append_value(v),
            (ColumnBuilder::Text(b), Cell::Text(v)) => b.append_value(v),
            (ColumnBuilder::List(b), Cell::List(items)) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (ColumnBuilder::List(b), _) => b.append(true),
            (ColumnBuilder::IntList(b), Cell::IntList(items)) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (ColumnBuilder::IntList(b), _) => b.append(true),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Money(b), _) => b.append_null(),
            (ColumnBuilder::Float(b), _) => b.append_null(),
            (ColumnBuilder::Bool(b), _) => b.append_null(),
            (ColumnBuilder::Date(b), _) => b.append_null(),
            (ColumnBuilder::Time(b), _) => b.append_null(),
            (ColumnBuilder::Text(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Money(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::List(b) => Arc::new(b.finish()),
            ColumnBuilder::IntList(b) => Arc::new(b.finish()),
        }
    }
}

/// Writes rows of typed cells into new Parquet files of a table, one file per writer.
pub(crate) struct TableWriter {
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    rows_in_batch: usize,
    writer: ArrowWriter<File>,
    file: DataFile,
    path: PathBuf,
}

impl TableWriter {
    pub(crate) fn create(
        transaction: &mut Transaction,
        table: &str,
        columns: &[ColumnDef],
        zone: &str,
    ) -> Result<TableWriter, ImportError> {
        let schema = schema_of(columns, zone);
        let (relative, path) = transaction.new_file(table)?;
        let file = File::create(&path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties()))
            .map_err(|source| ImportError::Parquet {
                path: path.clone(),
                source,
            })?;
        Ok(TableWriter {
            builders: columns
                .iter()
                .map(|c| ColumnBuilder::new(c.kind, zone))
                .collect(),
            schema,
            rows_in_batch: 0,
            writer,
            file: DataFile {
                path: relative,
                rows: 0,
            },
            path,
        })
    }

    /// Appends one row. `cells` has a cell for each column, in order.
    pub(crate) fn push_row(&mut self, cells: Vec<Cell>) -> Result<(), ImportError> {
        for (builder, cell) in self.builders.iter_mut().zip(cells) {
            builder.append(cell);
        }
        self.rows_in_batch += 1;
        self.file.rows += 1;
        if self.rows_in_batch == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        if self.rows_in_batch == 0 {
            return Ok(());
        }
        let columns = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|source| ImportError::Arrow { source })?;
        self.rows_in_batch = 0;
        self.writer
            .write(&batch)
            .map_err(|source| ImportError::Parquet {
                path: self.path.clone(),
                source,
            })
    }

    /// Finishes the file. A writer that got no rows leaves no file behind.
    pub(crate) fn finish(mut self) -> Result<Option<DataFile>, ImportError> {
        self.flush()?;
        self.writer.close().map_err(|source| ImportError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        if self.file.rows == 0 {
            let _ = std::fs::remove_file(&self.path);
            return Ok(None);
        }
        Ok(Some(self.file))
    }
}
