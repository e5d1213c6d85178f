//! The `iteration` hint: values that step from `start`, wrapping at
//! `restart`, as the Avro Random Generator defines them.
//!
//! Semantics (Generator.java): the first value is `initial` (default
//! `start`); each next value adds `step`; the offset from `start` is kept
//! modulo `|restart - start|`. `step` defaults to +1 (or -1 when `restart <
//! start`); `restart` defaults to the type's maximum, or for a negative step
//! its minimum (what Java's documentation promises; its code negates the
//! minimum, which for a long overflows). A generator resumed at generation `n`
//! continues where the `n`-th value left off, which is how a restarted
//! connector keeps `orderid` increasing.

use apache_avro::types::Value as Avro;
use serde_json::Value;

use crate::error::DatagenError;
use crate::tree::Kind;

/// A parsed `iteration` hint.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Iteration {
    /// int, long, and string (an int iteration rendered as text).
    Integral {
        start: i64,
        restart: i64,
        step: i64,
        initial: i64,
        target: IntegralTarget,
    },
    Decimal {
        start: f64,
        restart: f64,
        step: f64,
        initial: f64,
        float: bool,
    },
    Boolean {
        start: bool,
    },
}

/// What an integral iteration produces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum IntegralTarget {
    Int,
    Long,
    String,
}

/// The running state of one iteration.
#[derive(Debug, Clone)]
pub(crate) enum Cursor {
    Integral {
        start: i128,
        modulus: i128,
        step: i128,
        current: i128,
        target: IntegralTarget,
    },
    Decimal {
        start: f64,
        modulus: f64,
        step: f64,
        current: f64,
        float: bool,
    },
    Boolean(bool),
}

impl Iteration {
    /// Parses the `iteration` object of a node of type `kind`.
    pub(crate) fn parse(kind: &Kind, value: &Value, path: &str) -> Result<Self, DatagenError> {
        let Value::Object(props) = value else {
            return Err(DatagenError::annotation(
                path,
                "iteration must be an object",
            ));
        };
        let err = |m: &str| DatagenError::annotation(path, m.to_owned());
        if !props.contains_key("start") {
            return Err(err("iteration must contain start"));
        }
        match kind {
            Kind::Boolean => {
                if props.contains_key("restart") || props.contains_key("step") {
                    return Err(err("iteration of a boolean takes only start"));
                }
                let start = props
                    .get("start")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| err("iteration start of a boolean must be a boolean"))?;
                Ok(Iteration::Boolean { start })
            }
            Kind::Int | Kind::Long | Kind::String { .. } => {
                let target = match kind {
                    Kind::Long => IntegralTarget::Long,
                    Kind::Int => IntegralTarget::Int,
                    _ => IntegralTarget::String,
                };
                let (low, high) = if target == IntegralTarget::Long {
                    (i64::MIN, i64::MAX)
                } else {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                };
                let field = |key: &str| -> Result<Option<i64>, DatagenError> {
                    match props.get(key) {
                        None => Ok(None),
                        Some(v) => v
                            .as_i64()
                            .filter(|n| (low..=high).contains(n))
                            .map(Some)
                            .ok_or_else(|| {
                                err(&format!(
                                    "iteration {key} must be an integral number of the type's size"
                                ))
                            }),
                    }
                };
                let start = field("start")?.unwrap_or(0);
                let (restart, step) =
                    integral_defaults(start, field("restart")?, field("step")?, high, low, path)?;
                Ok(Iteration::Integral {
                    start,
                    restart,
                    step,
                    initial: field("initial")?.unwrap_or(start),
                    target,
                })
            }
            Kind::Float | Kind::Double => {
                let float = matches!(kind, Kind::Float);
                let limit = if float { f64::from(f32::MAX) } else { f64::MAX };
                let field = |key: &str| -> Result<Option<f64>, DatagenError> {
                    match props.get(key) {
                        None => Ok(None),
                        Some(v) => v
                            .as_f64()
                            .filter(|n| n.abs() <= limit)
                            .map(Some)
                            .ok_or_else(|| err(&format!("iteration {key} must be a number"))),
                    }
                };
                let start = field("start")?.unwrap_or(0.0);
                let (restart, step) = defaults(
                    start,
                    field("restart")?,
                    field("step")?,
                    limit,
                    -limit,
                    path,
                )?;
                Ok(Iteration::Decimal {
                    start,
                    restart,
                    step,
                    initial: field("initial")?.unwrap_or(start),
                    float,
                })
            }
            _ => Err(err(
                "iteration applies to numeric, boolean or string types only",
            )),
        }
    }

    /// The state after `generation` values have already been produced.
    pub(crate) fn cursor(&self, generation: u64) -> Cursor {
        match *self {
            Iteration::Boolean { start } => Cursor::Boolean(start ^ (generation % 2 == 1)),
            Iteration::Integral {
                start,
                restart,
                step,
                initial,
                target,
            } => {
                let (start, restart, step) =
                    (i128::from(start), i128::from(restart), i128::from(step));
                let modulus = (restart - start).abs().max(1);
                let mut current = i128::from(initial) - start;
                if generation > 0 {
                    // |count * step + current| mod |restart - start|, with the step's sign.
                    let count = i128::from(generation) % modulus;
                    current = (count * step + current).abs() % modulus * step.signum();
                }
                Cursor::Integral {
                    start,
                    modulus,
                    step,
                    current,
                    target,
                }
            }
            Iteration::Decimal {
                start,
                restart,
                step,
                initial,
                float,
            } => {
                let modulus = restart - start;
                let mut current = initial - start;
                if generation > 0 {
                    current = (generation as f64 * step + current) % modulus;
                }
                Cursor::Decimal {
                    start,
                    modulus,
                    step,
                    current,
                    float,
                }
            }
        }
    }
}

/// `restart` and `step` with Java's defaults and checks.
fn defaults(
    start: f64,
    restart: Option<f64>,
    step: Option<f64>,
    high: f64,
    low: f64,
    path: &str,
) -> Result<(f64, f64), DatagenError> {
    let err = |m: &str| Err(DatagenError::annotation(path, m.to_owned()));
    match (restart, step) {
        (None, None) => Ok((high, 1.0)),
        (None, Some(step)) if step > 0.0 => Ok((high, step)),
        (None, Some(step)) if step < 0.0 => Ok((low, step)),
        (None, Some(_)) | (Some(_), Some(0.0)) => err("iteration step cannot be zero"),
        (Some(restart), None) if restart > start => Ok((restart, 1.0)),
        (Some(restart), None) if restart < start => Ok((restart, -1.0)),
        (Some(_), None) => err("iteration start and restart cannot be equal"),
        (Some(restart), Some(_)) if restart == start => {
            err("iteration start and restart cannot be equal")
        }
        (Some(restart), Some(step)) if restart > start && step < 0.0 => {
            err("iteration step must be positive when restart is greater than start")
        }
        (Some(restart), Some(step)) if restart < start && step > 0.0 => {
            err("iteration step must be negative when restart is less than start")
        }
        (Some(restart), Some(step)) => Ok((restart, step)),
    }
}

/// [`defaults`] in exact integers, for int and long.
fn integral_defaults(
    start: i64,
    restart: Option<i64>,
    step: Option<i64>,
    high: i64,
    low: i64,
    path: &str,
) -> Result<(i64, i64), DatagenError> {
    let err = |m: &str| Err(DatagenError::annotation(path, m.to_owned()));
    match (restart, step) {
        (None, None) => Ok((high, 1)),
        (None, Some(step)) if step != 0 => Ok((if step > 0 { high } else { low }, step)),
        (None, Some(_)) | (Some(_), Some(0)) => err("iteration step cannot be zero"),
        (Some(restart), None) if restart != start => {
            Ok((restart, if restart > start { 1 } else { -1 }))
        }
        (Some(_), None) => err("iteration start and restart cannot be equal"),
        (Some(restart), Some(_)) if restart == start => {
            err("iteration start and restart cannot be equal")
        }
        (Some(restart), Some(step)) if restart > start && step < 0 => {
            err("iteration step must be positive when restart is greater than start")
        }
        (Some(restart), Some(step)) if restart < start && step > 0 => {
            err("iteration step must be negative when restart is less than start")
        }
        (Some(restart), Some(step)) => Ok((restart, step)),
    }
}

impl Cursor {
    /// The next value, advancing the state.
    pub(crate) fn next(&mut self) -> Avro {
        match self {
            Cursor::Boolean(current) => {
                let value = *current;
                *current = !value;
                Avro::Boolean(value)
            }
            Cursor::Integral {
                start,
                modulus,
                step,
                current,
                target,
            } => {
                let value = *current + *start;
                *current = (*current + *step).abs() % *modulus * step.signum();
                match target {
                    // The values stay within the type: start, restart and
                    // initial were checked against it; wrap like Java's
                    // intValue()/longValue() otherwise.
                    IntegralTarget::Int => Avro::Int(value as i32),
                    IntegralTarget::Long => Avro::Long(value as i64),
                    IntegralTarget::String => Avro::String((value as i32).to_string()),
                }
            }
            Cursor::Decimal {
                start,
                modulus,
                step,
                current,
                float,
            } => {
                let value = *current + *start;
                *current = (*current + *step) % *modulus;
                if *float {
                    Avro::Float(value as f32)
                } else {
                    Avro::Double(value)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(kind: &Kind, spec: Value, generation: u64, n: usize) -> Vec<Avro> {
        let mut cursor = Iteration::parse(kind, &spec, "t")
            .unwrap()
            .cursor(generation);
        (0..n).map(|_| cursor.next()).collect()
    }

    #[test]
    fn int_counts_up_from_start_and_wraps_at_restart() {
        let got = values(&Kind::Int, json!({"start": 3, "restart": 6}), 0, 5);
        assert_eq!(got, [3, 4, 5, 3, 4].map(Avro::Int));
    }

    #[test]
    fn negative_step_counts_down() {
        let got = values(&Kind::Long, json!({"start": 10, "restart": 7}), 0, 4);
        assert_eq!(got, [10, 9, 8, 10].map(Avro::Long));
    }

    #[test]
    fn initial_and_step() {
        let got = values(
            &Kind::Int,
            json!({"start": 0, "step": 10, "initial": 20}),
            0,
            3,
        );
        assert_eq!(got, [20, 30, 40].map(Avro::Int));
    }

    #[test]
    fn resuming_at_a_generation_continues_the_sequence() {
        let spec = json!({"start": 1, "step": 10, "restart": 95});
        let all = values(&Kind::Long, spec.clone(), 0, 30);
        let resumed = values(&Kind::Long, spec, 12, 18);
        assert_eq!(&all[12..], &resumed[..]);
    }

    #[test]
    fn booleans_alternate() {
        let got = values(&Kind::Boolean, json!({"start": true}), 1, 3);
        assert_eq!(got, [false, true, false].map(Avro::Boolean));
    }

    #[test]
    fn strings_iterate_as_ints() {
        let got = values(&Kind::String { uuid: false }, json!({"start": 7}), 0, 2);
        assert_eq!(got, [Avro::String("7".into()), Avro::String("8".into())]);
    }

    #[test]
    fn doubles_step() {
        let got = values(&Kind::Double, json!({"start": 0.5, "step": 0.25}), 0, 3);
        assert_eq!(got, [0.5, 0.75, 1.0].map(Avro::Double));
    }

    #[test]
    fn bad_specs_are_errors() {
        for spec in [
            json!({}),
            json!({"start": 1, "restart": 1}),
            json!({"start": 1, "step": 0}),
            json!({"start": 1, "restart": 5, "step": -1}),
            json!({"start": 1, "restart": 0, "step": 1}),
            json!({"start": 3_000_000_000i64}),
            json!({"start": 1.5}),
            json!(5),
        ] {
            assert!(
                Iteration::parse(&Kind::Int, &spec, "t").is_err(),
                "{spec} accepted"
            );
        }
        assert!(
            Iteration::parse(&Kind::Bytes { decimal: None }, &json!({"start": 1}), "t").is_err()
        );
    }
}
