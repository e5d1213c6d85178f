//! Confluent's datagen quickstarts: named generator schemas with their key
//! field, as the `quickstart` connector config selects them.
//!
//! The schemas are kafka-connect-datagen's resource files (the generator
//! schema, `arg.properties` included) with comments removed and the JSON
//! re-indented; names and key fields are those of its `Quickstart` enum, so
//! every `quickstart` value Confluent accepts is accepted here.

use std::fmt;

/// A built-in schema. The first five are the ones the ksqlDB and Confluent
/// Cloud tutorials use; the rest complete Confluent's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quickstart {
    /// `ORDERS`: `ksql.orders`, keyed by `orderid`.
    Orders,
    /// `USERS`: `ksql.users`, keyed by `userid`.
    Users,
    /// `PAGEVIEWS`: `ksql.pageviews`, keyed by `viewtime`.
    Pageviews,
    /// `STOCK_TRADES`: `ksql.StockTrade`, keyed by `symbol`.
    StockTrades,
    /// `CLICKSTREAM`: `clickstream.events`, keyed by `ip`.
    Clickstream,
    /// `CLICKSTREAM_CODES`: `clickstream.codes`, keyed by `code`.
    ClickstreamCodes,
    /// `CLICKSTREAM_USERS`: `clickstream.users`, keyed by `user_id`.
    ClickstreamUsers,
    /// `RATINGS`: `ksql.ratings`, keyed by `rating_id`.
    Ratings,
    /// `USERS_`: `ksql.users`, keyed by `userid`.
    UsersArrayMap,
    /// `INVENTORY`: `ksql.inventory`, keyed by `id`.
    Inventory,
    /// `PRODUCT`: `ksql.product`, keyed by `id`.
    Product,
    /// `PURCHASES`: `datagen.example.purchase`, keyed by `id`.
    Purchases,
    /// `TRANSACTIONS`: `datagen.example.transactions`, keyed by `transaction_id`.
    Transactions,
    /// `STORES`: `datagen.example.stores`, keyed by `store_id`.
    Stores,
    /// `CREDIT_CARDS`: `datagen.example.users`, keyed by `card_id`.
    CreditCards,
    /// `CAMPAIGN_FINANCE`: `datagen.campaign_finance`, keyed by `candidate_id`.
    CampaignFinance,
    /// `FLEET_MGMT_DESCRIPTION`: `fleet_mgmt.fleet_mgmt_description`, keyed by `vehicle_id`.
    FleetMgmtDescription,
    /// `FLEET_MGMT_LOCATION`: `fleet_mgmt.fleet_mgmt_location`, keyed by `vehicle_id`.
    FleetMgmtLocation,
    /// `FLEET_MGMT_SENSORS`: `fleet_mgmt.fleet_mgmt_sensors`, keyed by `vehicle_id`.
    FleetMgmtSensors,
    /// `PIZZA_ORDERS`: `pizza_orders.pizza_orders`, keyed by `store_id`.
    PizzaOrders,
    /// `PIZZA_ORDERS_COMPLETED`: `pizza_orders.pizza_orders_completed`, keyed by `store_id`.
    PizzaOrdersCompleted,
    /// `PIZZA_ORDERS_CANCELLED`: `pizza_orders.pizza_orders_cancelled`, keyed by `store_id`.
    PizzaOrdersCancelled,
    /// `INSURANCE_OFFERS`: `insurance.insurance_offers`, keyed by `offer_id`.
    InsuranceOffers,
    /// `INSURANCE_CUSTOMERS`: `insurance.insurance_customers`, keyed by `customer_id`.
    InsuranceCustomers,
    /// `INSURANCE_CUSTOMER_ACTIVITY`: `insurance.insurance_customer_activity`, keyed by `activity_id`.
    InsuranceCustomerActivity,
    /// `GAMING_GAMES`: `gaming.gaming_games`, keyed by `id`.
    GamingGames,
    /// `GAMING_PLAYERS`: `gaming.gaming_players`, keyed by `player_id`.
    GamingPlayers,
    /// `GAMING_PLAYER_ACTIVITY`: `gaming.gaming_player_activity`, keyed by `player_id`.
    GamingPlayerActivity,
    /// `PAYROLL_EMPLOYEE`: `payroll.payroll_employee`, keyed by `employee_id`.
    PayrollEmployee,
    /// `PAYROLL_EMPLOYEE_LOCATION`: `payroll.payroll_employee_location`, keyed by `employee_id`.
    PayrollEmployeeLocation,
    /// `PAYROLL_BONUS`: `payroll.payroll_bonus`, keyed by `employee_id`.
    PayrollBonus,
    /// `SYSLOG_LOGS`: `syslogs.syslog_logs`, keyed by `host`.
    SyslogLogs,
    /// `DEVICE_INFORMATION`: `device_information.device_information`, keyed by `device_ip`.
    DeviceInformation,
    /// `SIEM_LOGS`: `siem_logs.siem_logs`, keyed by `hostname`.
    SiemLogs,
    /// `SHOES`: `shoes.shoe_product`, keyed by `id`.
    Shoes,
    /// `SHOE_CUSTOMERS`: `shoes.shoe_customers`, keyed by `id`.
    ShoeCustomers,
    /// `SHOE_ORDERS`: `shoes.shoe_orders`, keyed by `order_id`.
    ShoeOrders,
    /// `SHOE_CLICKSTREAM`: `shoes.shoe_clickstream`, keyed by `product_id`.
    ShoeClickstream,
}

impl Quickstart {
    /// Every quickstart ferry ships.
    pub const ALL: [Quickstart; 38] = [
        Quickstart::Orders,
        Quickstart::Users,
        Quickstart::Pageviews,
        Quickstart::StockTrades,
        Quickstart::Clickstream,
        Quickstart::ClickstreamCodes,
        Quickstart::ClickstreamUsers,
        Quickstart::Ratings,
        Quickstart::UsersArrayMap,
        Quickstart::Inventory,
        Quickstart::Product,
        Quickstart::Purchases,
        Quickstart::Transactions,
        Quickstart::Stores,
        Quickstart::CreditCards,
        Quickstart::CampaignFinance,
        Quickstart::FleetMgmtDescription,
        Quickstart::FleetMgmtLocation,
        Quickstart::FleetMgmtSensors,
        Quickstart::PizzaOrders,
        Quickstart::PizzaOrdersCompleted,
        Quickstart::PizzaOrdersCancelled,
        Quickstart::InsuranceOffers,
        Quickstart::InsuranceCustomers,
        Quickstart::InsuranceCustomerActivity,
        Quickstart::GamingGames,
        Quickstart::GamingPlayers,
        Quickstart::GamingPlayerActivity,
        Quickstart::PayrollEmployee,
        Quickstart::PayrollEmployeeLocation,
        Quickstart::PayrollBonus,
        Quickstart::SyslogLogs,
        Quickstart::DeviceInformation,
        Quickstart::SiemLogs,
        Quickstart::Shoes,
        Quickstart::ShoeCustomers,
        Quickstart::ShoeOrders,
        Quickstart::ShoeClickstream,
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
            Quickstart::ClickstreamCodes => "CLICKSTREAM_CODES",
            Quickstart::ClickstreamUsers => "CLICKSTREAM_USERS",
            Quickstart::Ratings => "RATINGS",
            Quickstart::UsersArrayMap => "USERS_",
            Quickstart::Inventory => "INVENTORY",
            Quickstart::Product => "PRODUCT",
            Quickstart::Purchases => "PURCHASES",
            Quickstart::Transactions => "TRANSACTIONS",
            Quickstart::Stores => "STORES",
            Quickstart::CreditCards => "CREDIT_CARDS",
            Quickstart::CampaignFinance => "CAMPAIGN_FINANCE",
            Quickstart::FleetMgmtDescription => "FLEET_MGMT_DESCRIPTION",
            Quickstart::FleetMgmtLocation => "FLEET_MGMT_LOCATION",
            Quickstart::FleetMgmtSensors => "FLEET_MGMT_SENSORS",
            Quickstart::PizzaOrders => "PIZZA_ORDERS",
            Quickstart::PizzaOrdersCompleted => "PIZZA_ORDERS_COMPLETED",
            Quickstart::PizzaOrdersCancelled => "PIZZA_ORDERS_CANCELLED",
            Quickstart::InsuranceOffers => "INSURANCE_OFFERS",
            Quickstart::InsuranceCustomers => "INSURANCE_CUSTOMERS",
            Quickstart::InsuranceCustomerActivity => "INSURANCE_CUSTOMER_ACTIVITY",
            Quickstart::GamingGames => "GAMING_GAMES",
            Quickstart::GamingPlayers => "GAMING_PLAYERS",
            Quickstart::GamingPlayerActivity => "GAMING_PLAYER_ACTIVITY",
            Quickstart::PayrollEmployee => "PAYROLL_EMPLOYEE",
            Quickstart::PayrollEmployeeLocation => "PAYROLL_EMPLOYEE_LOCATION",
            Quickstart::PayrollBonus => "PAYROLL_BONUS",
            Quickstart::SyslogLogs => "SYSLOG_LOGS",
            Quickstart::DeviceInformation => "DEVICE_INFORMATION",
            Quickstart::SiemLogs => "SIEM_LOGS",
            Quickstart::Shoes => "SHOES",
            Quickstart::ShoeCustomers => "SHOE_CUSTOMERS",
            Quickstart::ShoeOrders => "SHOE_ORDERS",
            Quickstart::ShoeClickstream => "SHOE_CLICKSTREAM",
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
            Quickstart::ClickstreamCodes => include_str!("quickstarts/clickstream_codes.avsc"),
            Quickstart::ClickstreamUsers => include_str!("quickstarts/clickstream_users.avsc"),
            Quickstart::Ratings => include_str!("quickstarts/ratings.avsc"),
            Quickstart::UsersArrayMap => include_str!("quickstarts/users_array_map.avsc"),
            Quickstart::Inventory => include_str!("quickstarts/inventory.avsc"),
            Quickstart::Product => include_str!("quickstarts/product.avsc"),
            Quickstart::Purchases => include_str!("quickstarts/purchases.avsc"),
            Quickstart::Transactions => include_str!("quickstarts/transactions.avsc"),
            Quickstart::Stores => include_str!("quickstarts/stores.avsc"),
            Quickstart::CreditCards => include_str!("quickstarts/credit_cards.avsc"),
            Quickstart::CampaignFinance => include_str!("quickstarts/campaign_finance.avsc"),
            Quickstart::FleetMgmtDescription => {
                include_str!("quickstarts/fleet_mgmt_description.avsc")
            }
            Quickstart::FleetMgmtLocation => include_str!("quickstarts/fleet_mgmt_location.avsc"),
            Quickstart::FleetMgmtSensors => include_str!("quickstarts/fleet_mgmt_sensors.avsc"),
            Quickstart::PizzaOrders => include_str!("quickstarts/pizza_orders.avsc"),
            Quickstart::PizzaOrdersCompleted => {
                include_str!("quickstarts/pizza_orders_completed.avsc")
            }
            Quickstart::PizzaOrdersCancelled => {
                include_str!("quickstarts/pizza_orders_cancelled.avsc")
            }
            Quickstart::InsuranceOffers => include_str!("quickstarts/insurance_offers.avsc"),
            Quickstart::InsuranceCustomers => include_str!("quickstarts/insurance_customers.avsc"),
            Quickstart::InsuranceCustomerActivity => {
                include_str!("quickstarts/insurance_customer_activity.avsc")
            }
            Quickstart::GamingGames => include_str!("quickstarts/gaming_games.avsc"),
            Quickstart::GamingPlayers => include_str!("quickstarts/gaming_players.avsc"),
            Quickstart::GamingPlayerActivity => {
                include_str!("quickstarts/gaming_player_activity.avsc")
            }
            Quickstart::PayrollEmployee => include_str!("quickstarts/payroll_employee.avsc"),
            Quickstart::PayrollEmployeeLocation => {
                include_str!("quickstarts/payroll_employee_location.avsc")
            }
            Quickstart::PayrollBonus => include_str!("quickstarts/payroll_bonus.avsc"),
            Quickstart::SyslogLogs => include_str!("quickstarts/syslog_logs.avsc"),
            Quickstart::DeviceInformation => include_str!("quickstarts/device_information.avsc"),
            Quickstart::SiemLogs => include_str!("quickstarts/siem_logs.avsc"),
            Quickstart::Shoes => include_str!("quickstarts/shoes.avsc"),
            Quickstart::ShoeCustomers => include_str!("quickstarts/shoe_customers.avsc"),
            Quickstart::ShoeOrders => include_str!("quickstarts/shoe_orders.avsc"),
            Quickstart::ShoeClickstream => include_str!("quickstarts/shoe_clickstream.avsc"),
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
            Quickstart::ClickstreamCodes => "code",
            Quickstart::ClickstreamUsers => "user_id",
            Quickstart::Ratings => "rating_id",
            Quickstart::UsersArrayMap => "userid",
            Quickstart::Inventory => "id",
            Quickstart::Product => "id",
            Quickstart::Purchases => "id",
            Quickstart::Transactions => "transaction_id",
            Quickstart::Stores => "store_id",
            Quickstart::CreditCards => "card_id",
            Quickstart::CampaignFinance => "candidate_id",
            Quickstart::FleetMgmtDescription => "vehicle_id",
            Quickstart::FleetMgmtLocation => "vehicle_id",
            Quickstart::FleetMgmtSensors => "vehicle_id",
            Quickstart::PizzaOrders => "store_id",
            Quickstart::PizzaOrdersCompleted => "store_id",
            Quickstart::PizzaOrdersCancelled => "store_id",
            Quickstart::InsuranceOffers => "offer_id",
            Quickstart::InsuranceCustomers => "customer_id",
            Quickstart::InsuranceCustomerActivity => "activity_id",
            Quickstart::GamingGames => "id",
            Quickstart::GamingPlayers => "player_id",
            Quickstart::GamingPlayerActivity => "player_id",
            Quickstart::PayrollEmployee => "employee_id",
            Quickstart::PayrollEmployeeLocation => "employee_id",
            Quickstart::PayrollBonus => "employee_id",
            Quickstart::SyslogLogs => "host",
            Quickstart::DeviceInformation => "device_ip",
            Quickstart::SiemLogs => "hostname",
            Quickstart::Shoes => "id",
            Quickstart::ShoeCustomers => "id",
            Quickstart::ShoeOrders => "order_id",
            Quickstart::ShoeClickstream => "product_id",
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
