//! ISO-8601 date-times for `mirror.start.offset.spec`, e.g.
//! `2024-05-01T12:00:00Z` or `2024-05-01T12:00:00.123+02:00`.
//!
//! # Format
//! `YYYY-MM-DD` `T` `hh:mm[:ss[.fraction]]` then `Z` or an offset `±hh:mm`,
//! `±hhmm` or `±hh`. The zone is required (a local time would depend on the
//! server's time zone). Fractions of up to 9 digits are truncated to
//! milliseconds. `T` and `Z` may be lower case.

/// Milliseconds since the Unix epoch of an ISO-8601 date-time.
///
/// # Errors
/// A description of what is wrong (the caller adds the config name).
pub fn parse_iso8601_millis(text: &str) -> Result<i64, String> {
    let mut p = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = p.digits(4, "year")?;
    p.expect(b'-', "'-' after the year")?;
    let month = p.digits(2, "month")?;
    p.expect(b'-', "'-' after the month")?;
    let day = p.digits(2, "day")?;
    if !p.eat(b'T') && !p.eat(b't') {
        return Err("expected 'T' between the date and the time".into());
    }
    let hour = p.digits(2, "hour")?;
    p.expect(b':', "':' after the hour")?;
    let minute = p.digits(2, "minute")?;
    let mut second = 0;
    let mut millis = 0;
    if p.eat(b':') {
        second = p.digits(2, "second")?;
        if p.eat(b'.') || p.eat(b',') {
            let start = p.at;
            let mut scale = 100;
            while let Some(d) = p.peek().filter(u8::is_ascii_digit) {
                millis += i64::from(d - b'0') * scale;
                scale /= 10;
                p.at += 1;
            }
            let n = p.at - start;
            if n == 0 || n > 9 {
                return Err("the fraction of a second needs 1 to 9 digits".into());
            }
        }
    }
    let offset_minutes = match p.next() {
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = p.digits(2, "offset hours")?;
            let colon = p.eat(b':');
            let minutes = if colon || p.peek().is_some() {
                p.digits(2, "offset minutes")?
            } else {
                0
            };
            if hours > 18 || minutes > 59 || (hours == 18 && minutes > 0) {
                return Err("the offset must be within ±18:00".into());
            }
            let total = hours * 60 + minutes;
            if sign == b'-' { -total } else { total }
        }
        Some(_) => return Err("expected Z or an offset such as +02:00 after the time".into()),
        None => {
            return Err("a zone is required: end with Z or an offset such as +02:00".into());
        }
    };
    if p.peek().is_some() {
        return Err("unexpected characters after the zone".into());
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not 1 to 12"));
    }
    let days_in_month = match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month {
        return Err(format!("day {day} does not exist in {year:04}-{month:02}"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "time {hour:02}:{minute:02}:{second:02} does not exist"
        ));
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let ms = seconds * 1000 + millis;
    if ms < 0 {
        return Err("the time is before 1970-01-01T00:00:00Z".into());
    }
    Ok(ms)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days from 1970-01-01 to the given proleptic Gregorian date: whole 400-year
/// eras (146097 days each) from year 0, counted with years starting in
/// March so the leap day is the last day of a year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719468 days lie between 0000-03-01 and 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.at += 1;
        }
        b
    }

    fn eat(&mut self, want: u8) -> bool {
        if self.peek() == Some(want) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<(), String> {
        if self.eat(want) {
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }

    fn digits(&mut self, n: usize, what: &str) -> Result<i64, String> {
        let mut value = 0;
        for _ in 0..n {
            match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    value = value * 10 + i64::from(d - b'0');
                    self.at += 1;
                }
                _ => return Err(format!("expected {n} digits for the {what}")),
            }
        }
        Ok(value)
    }
}
