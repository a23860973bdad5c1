//! `lower` tuned for CRM data, where a text column repeats a few names on every row:
//! pipelines, stages, channels and products, often in Cyrillic.
//!
//! It returns exactly what DataFusion's own `lower` returns (Rust's `str::to_lowercase`), and
//! replaces it in every session. ASCII text is lowered byte by byte, and other text is lowered
//! once per distinct value of a batch instead of once a row.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, GenericStringBuilder, OffsetSizeTrait, StringViewBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

/// `lower(text)`: the text in lower case.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Lower {
    signature: Signature,
}

impl Lower {
    pub fn new() -> Self {
        Lower {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Utf8View]),
                    TypeSignature::Exact(vec![DataType::Utf8]),
                    TypeSignature::Exact(vec![DataType::LargeUtf8]),
                    TypeSignature::String(1),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl Default for Lower {
    fn default() -> Self {
        Self::new()
    }
}

/// Lowers each value of `values`, appending the results through `append`.
fn lower_each<'a>(
    values: impl Iterator<Item = Option<&'a str>>,
    mut append: impl FnMut(Option<&str>),
) {
    let mut known: HashMap<&'a str, String, ahash::RandomState> = HashMap::default();
    let mut scratch = String::new();
    for value in values {
        match value {
            None => append(None),
            Some(text) if text.is_ascii() => {
                if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    scratch.clear();
                    scratch.push_str(text);
                    scratch.make_ascii_lowercase();
                    append(Some(&scratch));
                } else {
                    append(Some(text));
                }
            }
            Some(text) => {
                let lowered = known.entry(text).or_insert_with(|| text.to_lowercase());
                append(Some(lowered));
            }
        }
    }
}

fn lower_strings<O: OffsetSizeTrait>(array: &dyn Array) -> ArrayRef {
    let strings = array.as_string::<O>();
    let mut builder =
        GenericStringBuilder::<O>::with_capacity(strings.len(), strings.value_data().len());
    lower_each(strings.iter(), |value| builder.append_option(value));
    Arc::new(builder.finish())
}

fn lower_views(array: &dyn Array) -> ArrayRef {
    let strings = array.as_string_view();
    let mut builder = StringViewBuilder::with_capacity(strings.len());
    lower_each(strings.iter(), |value| builder.append_option(value));
    Arc::new(builder.finish())
}

impl ScalarUDFImpl for Lower {
    fn name(&self) -> &str {
        "lower"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&Documentation> {
        static BUILTIN: OnceLock<Option<Documentation>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                datafusion::functions::string::lower()
                    .documentation()
                    .cloned()
            })
            .as_ref()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types.first() {
            Some(DataType::LargeUtf8) => DataType::LargeUtf8,
            Some(DataType::Utf8View) => DataType::Utf8View,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("lower expects one argument, got {}", args.args.len());
        };
        match value {
            ColumnarValue::Scalar(scalar) => {
                let lowered = |text: &Option<String>| text.as_deref().map(str::to_lowercase);
                Ok(ColumnarValue::Scalar(match scalar {
                    ScalarValue::Utf8(text) => ScalarValue::Utf8(lowered(text)),
                    ScalarValue::LargeUtf8(text) => ScalarValue::LargeUtf8(lowered(text)),
                    ScalarValue::Utf8View(text) => ScalarValue::Utf8View(lowered(text)),
                    ScalarValue::Null => ScalarValue::Utf8(None),
                    other => return exec_err!("lower expects text, got {}", other.data_type()),
                }))
            }
            ColumnarValue::Array(array) => Ok(ColumnarValue::Array(match array.data_type() {
                DataType::Utf8 => lower_strings::<i32>(array.as_ref()),
                DataType::LargeUtf8 => lower_strings::<i64>(array.as_ref()),
                DataType::Utf8View => lower_views(array.as_ref()),
                other => return exec_err!("lower expects text, got {other}"),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{StringArray, StringViewArray};

    use super::*;

    fn lowered(values: &[Option<&str>]) -> Vec<Option<String>> {
        let mut out = Vec::new();
        lower_each(values.iter().copied(), |value| {
            out.push(value.map(str::to_owned))
        });
        out
    }

    #[test]
    fn matches_to_lowercase() {
        let values = [
            Some("Продажи"),
            Some("ПРОДАЖИ"),
            None,
            Some("Yandex"),
            Some("utm_source"),
            Some("Продажи"),
            Some("ΣΊΣΥΦΟΣ"),
            Some(""),
        ];
        let expected: Vec<Option<String>> =
            values.iter().map(|v| v.map(str::to_lowercase)).collect();
        assert_eq!(lowered(&values), expected);
    }

    #[test]
    fn keeps_the_array_type() {
        let plain = StringArray::from(vec![Some("Воронка"), None]);
        let lowered = lower_strings::<i32>(&plain);
        assert_eq!(lowered.data_type(), &DataType::Utf8);
        assert_eq!(lowered.as_string::<i32>().value(0), "воронка");
        assert!(lowered.is_null(1));
        let views = StringViewArray::from(vec![Some("A Long Name Of A Sales Pipeline"), None]);
        let lowered = lower_views(&views);
        assert_eq!(lowered.data_type(), &DataType::Utf8View);
        assert_eq!(
            lowered.as_string_view().value(0),
            "a long name of a sales pipeline"
        );
    }
}
