//! Confluent's datagen quickstarts: named generator schemas with their key
//! field, as the `quickstart` connector config selects them.
//!
//! The schemas are kafka-connect-datagen's resource files (the generator
//! schema, `arg.properties` included) with comments removed and the JSON
//! re-indented; the key fields are those of its `Quickstart` enum.

use std::fmt;

/// A built-in schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quickstart {
    /// `ksql.orders`, keyed by `orderid`: the seed walkthrough's data.
    Orders,
    /// `ksql.users`, keyed by `userid`.
    Users,
    /// `ksql.pageviews`, keyed by `viewtime`.
    Pageviews,
    /// `ksql.StockTrade`, keyed by `symbol`.
    StockTrades,
    /// `clickstream.events`, keyed by `ip`.
    Clickstream,
}

impl Quickstart {
    /// Every quickstart ferry ships.
    pub const ALL: [Quickstart; 5] = [
        Quickstart::Orders,
        Quickstart::Users,
        Quickstart::Pageviews,
        Quickstart::StockTrades,
        Quickstart::Clickstream,
    ];

    /// Looks a name up case-insensitively (`ORDERS`, `orders`, `Stock_Trades`),
    /// as Confluent's config validation does.
    pub fn parse(name: &str) -> Option<Self> {
        Quickstart::ALL
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The config spelling, as Confluent Cloud shows it (`ORDERS`).
    pub fn name(self) -> &'static str {
        match self {
            Quickstart::Orders => "ORDERS",
            Quickstart::Users => "USERS",
            Quickstart::Pageviews => "PAGEVIEWS",
            Quickstart::StockTrades => "STOCK_TRADES",
            Quickstart::Clickstream => "CLICKSTREAM",
        }
    }

    /// The generator schema (Avro JSON with `arg.properties`).
    pub fn schema(self) -> &'static str {
        match self {
            Quickstart::Orders => include_str!("quickstarts/orders.avsc"),
            Quickstart::Users => include_str!("quickstarts/users.avsc"),
            Quickstart::Pageviews => include_str!("quickstarts/pageviews.avsc"),
            Quickstart::StockTrades => include_str!("quickstarts/stock_trades.avsc"),
            Quickstart::Clickstream => include_str!("quickstarts/clickstream.avsc"),
        }
    }

    /// The top-level field used as the record key (`schema.keyfield`).
    pub fn key_field(self) -> &'static str {
        match self {
            Quickstart::Orders => "orderid",
            Quickstart::Users => "userid",
            Quickstart::Pageviews => "viewtime",
            Quickstart::StockTrades => "symbol",
            Quickstart::Clickstream => "ip",
        }
    }

    /// The names accepted, for error messages.
    pub fn names() -> String {
        Quickstart::ALL.map(Quickstart::name).join(", ")
    }
}

impl fmt::Display for Quickstart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Quickstart;

    #[test]
    fn names_round_trip_case_insensitively() {
        for quickstart in Quickstart::ALL {
            assert_eq!(Quickstart::parse(quickstart.name()), Some(quickstart));
            assert_eq!(
                Quickstart::parse(&quickstart.name().to_lowercase()),
                Some(quickstart)
            );
        }
        assert_eq!(Quickstart::parse("nope"), None);
    }
}
