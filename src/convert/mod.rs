//! Conversions between Nix values and Rust types, through serde.
//!
//! [`from_value`] deserializes any `T: Deserialize` from a Nix value, forcing
//! lazily as it goes: an attribute the type does not ask for is never
//! evaluated. It runs inside an evaluation (it needs the [`Vm`](crate::Vm)); from the
//! host, call [`Evaluator::from_value`](crate::Evaluator::from_value).
//! [`from_evaluated`] does the same without a VM for values already
//! evaluated, such as the arguments of an asynchronous builtin.
//! [`to_value`] serializes any `T: Serialize` into a Nix value, without an
//! evaluator.
//!
//! The mapping:
//!
//! | Rust (serde) | Nix |
//! | --- | --- |
//! | `bool` | Boolean |
//! | integers (up to `i64`) | integer |
//! | `f32`, `f64` | float (an integer is accepted too) |
//! | `char`, `String`, `&str` | string (a path is accepted as a string); one that is not UTF-8 is an error |
//! | bytes (`serde_bytes`, `deserialize_bytes`) | string, whatever its bytes |
//! | `()`, unit struct, `None` | `null` |
//! | `Some(x)`, newtype struct | `x` |
//! | sequence, tuple | list |
//! | map (string or integer keys), struct | attribute set |
//! | unit enum variant | string: the variant's name |
//! | other enum variant | set with one attribute: `{ Variant = …; }` |
//!
//! Functions cannot be converted. Errors say where in the value they arose
//! ([`ErrorKind::Conversion`]), and errors of
//! the evaluation that forcing a value ran into pass through unchanged.

mod de;
mod ser;

pub use de::{from_evaluated, from_value, ValueDeserializer};
pub use ser::{to_value, ValueSerializer};

use std::fmt::Display;

use crate::error::{Error, ErrorKind};

impl serde::de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        conversion_error(msg)
    }
}

impl serde::ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        conversion_error(msg)
    }
}

fn conversion_error(msg: impl Display) -> Error {
    Error::new(ErrorKind::Conversion {
        path: String::new(),
        message: msg.to_string(),
    })
}

/// Prefixes the path of a conversion error with `segment` (an attribute
/// name or list index), as the error travels out of nested values.
fn at_segment(mut error: Error, segment: &dyn Display) -> Error {
    if let ErrorKind::Conversion { path, .. } = error.kind_mut() {
        *path = if path.is_empty() {
            segment.to_string()
        } else {
            format!("{segment}.{path}")
        };
    }
    error
}
