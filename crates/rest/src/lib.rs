//! ferry's HTTP side: the Kafka REST API v3 under `/kafka/v3` and `/metrics`.
