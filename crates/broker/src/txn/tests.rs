//! The coordinator against a real broker (tempdir): markers land in the
//! partitions, state survives a reopen, timeouts abort and fence.

use std::collections::BTreeMap;
use std::path::Path;

use kafka_protocol::ResponseError;

use crate::config::BrokerConfig;
use crate::state::Broker;
use crate::txn::{TxnPartition, TxnState};

fn broker(dir: &Path, overrides: &[(&str, &str)]) -> Broker {
    let overrides: Vec<String> = overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let config = BrokerConfig::load(None, &overrides, Some(dir.to_path_buf())).unwrap();
    Broker::open(config).unwrap()
}

fn tp(t: &str, p: i32) -> TxnPartition {
    (t.to_string(), p)
}

fn data(pid: i64, epoch: i16, seq: i32, transactional: bool) -> bytes::Bytes {
    crate::partition::tests::batch(pid, epoch, seq, 2, transactional)
}

#[test]
fn commit_and_abort_write_markers_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (pid, epoch) = {
        let b = broker(dir.path(), &[]);
        b.create_topic("t", 2, 1, BTreeMap::new()).unwrap();
        let c = &b.txn;
        let (pid, epoch) = c.init_producer_id(&b, Some("app"), 60_000, None).unwrap();
        assert_eq!(epoch, 0);
        // A transactional batch before AddPartitionsToTxn is refused.
        let p0 = b.topic("t").unwrap().partition(0).unwrap();
        let refused = p0.append_produce(&data(pid, epoch, 0, true), 1 << 20, |h| {
            c.check_produce(h.producer_id, h.producer_epoch, "t", 0)
        });
        assert_eq!(refused.unwrap_err().error(), ResponseError::InvalidTxnState);

        c.add_partitions("app", pid, epoch, &[tp("t", 0), tp("t", 1)])
            .unwrap();
        p0.append_produce(&data(pid, epoch, 0, true), 1 << 20, |h| {
            c.check_produce(h.producer_id, h.producer_epoch, "t", 0)
        })
        .unwrap();
        assert_eq!(p0.last_stable_offset(), 0);
        c.end_txn(&b, "app", pid, epoch, false).unwrap();
        assert_eq!(p0.high_watermark(), 3, "2 records + the ABORT marker");
        assert_eq!(
            b.topic("t").unwrap().partition(1).unwrap().high_watermark(),
            1,
            "a marker even without data"
        );
        assert_eq!(p0.last_stable_offset(), 3);
        assert_eq!(
            p0.read_for_fetch(0, 1 << 20, true, true)
                .unwrap()
                .aborted
                .unwrap()
                .len(),
            1
        );
        // Retrying the abort succeeds; a commit now does not.
        c.end_txn(&b, "app", pid, epoch, false).unwrap();
        assert_eq!(
            c.end_txn(&b, "app", pid, epoch, true),
            Err(ResponseError::InvalidTxnState)
        );

        // The next transaction commits.
        c.add_partitions("app", pid, epoch, &[tp("t", 0)]).unwrap();
        c.add_offsets("app", pid, epoch, "grp").unwrap();
        assert_eq!(c.check_txn_offset_commit("app", pid, epoch, "grp"), Ok(()));
        assert_eq!(
            c.check_txn_offset_commit("app", pid, epoch, "other"),
            Err(ResponseError::InvalidTxnState)
        );
        p0.append_produce(&data(pid, epoch, 2, true), 1 << 20, |h| {
            c.check_produce(h.producer_id, h.producer_epoch, "t", 0)
        })
        .unwrap();
        c.end_txn(&b, "app", pid, epoch, true).unwrap();
        assert_eq!(p0.high_watermark(), 6);
        assert_eq!(c.describe("app").unwrap().state, TxnState::CompleteCommit);
        // Left open across the restart:
        c.add_partitions("app", pid, epoch, &[tp("t", 1)]).unwrap();
        (pid, epoch)
    };
    let b = broker(dir.path(), &[]);
    let c = &b.txn;
    let m = c.describe("app").unwrap();
    assert_eq!(
        (m.producer_id, m.producer_epoch, m.state),
        (pid, epoch, TxnState::Ongoing)
    );
    assert!(m.partitions.contains(&tp("t", 1)));
    let p0 = b.topic("t").unwrap().partition(0).unwrap();
    let rc = p0.read_for_fetch(0, 1 << 20, true, true).unwrap();
    assert_eq!(
        rc.aborted.unwrap().len(),
        1,
        "the aborted range was rebuilt from the log"
    );
    // Re-initialising aborts the open transaction first (CONCURRENT_TRANSACTIONS),
    // then bumps the epoch twice (fence, then the new session).
    assert_eq!(
        c.init_producer_id(&b, Some("app"), 60_000, None),
        Err(ResponseError::ConcurrentTransactions)
    );
    assert_eq!(c.describe("app").unwrap().state, TxnState::CompleteAbort);
    let (pid2, epoch2) = c.init_producer_id(&b, Some("app"), 60_000, None).unwrap();
    assert_eq!((pid2, epoch2), (pid, epoch + 2));
    // The zombie is fenced.
    assert_eq!(
        c.add_partitions("app", pid, epoch, &[tp("t", 0)]),
        Err(ResponseError::ProducerFenced)
    );
    assert_eq!(
        c.end_txn(&b, "app", pid, epoch, true),
        Err(ResponseError::ProducerFenced)
    );
    // A fresh idempotent producer gets a new id, never a reused one.
    let (idem, e) = c.init_producer_id(&b, None, 0, None).unwrap();
    assert_eq!(e, 0);
    assert!(idem > pid);
}

#[test]
fn init_validates_timeouts_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path(), &[("transaction.max.timeout.ms", "1000")]);
    let c = &b.txn;
    assert_eq!(
        c.init_producer_id(&b, Some("x"), 1001, None),
        Err(ResponseError::InvalidTransactionTimeout)
    );
    assert_eq!(
        c.init_producer_id(&b, Some("x"), 0, None),
        Err(ResponseError::InvalidTransactionTimeout)
    );
    assert_eq!(
        c.init_producer_id(&b, Some(""), 100, None),
        Err(ResponseError::InvalidRequest)
    );
    assert!(c.init_producer_id(&b, Some("x"), 1000, None).is_ok());
}

#[test]
fn expired_transactions_are_aborted_and_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path(), &[]);
    b.create_topic("t", 1, 1, BTreeMap::new()).unwrap();
    let c = &b.txn;
    let (pid, epoch) = c.init_producer_id(&b, Some("slow"), 1, None).unwrap();
    c.add_partitions("slow", pid, epoch, &[tp("t", 0)]).unwrap();
    let p = b.topic("t").unwrap().partition(0).unwrap();
    p.append_produce(&data(pid, epoch, 0, true), 1 << 20, |h| {
        c.check_produce(h.producer_id, h.producer_epoch, "t", 0)
    })
    .unwrap();
    assert_eq!(p.last_stable_offset(), 0);
    // Wait until the 1 ms timeout has certainly passed (no timing assertion:
    // the pass below is driven explicitly).
    let started = c.describe("slow").unwrap().start_ms;
    while crate::txn::now_ms() <= started + 1 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    c.abort_expired(&b);
    let m = c.describe("slow").unwrap();
    assert_eq!(
        (m.state, m.producer_epoch),
        (TxnState::CompleteAbort, epoch + 1)
    );
    assert_eq!(p.last_stable_offset(), 3);
    // The producer's next batch with the old epoch is fenced at the partition.
    let fenced = p.append_produce(&data(pid, epoch, 2, false), 1 << 20, |_| Ok(()));
    assert_eq!(
        fenced.unwrap_err().error(),
        ResponseError::InvalidProducerEpoch
    );
    assert_eq!(
        c.end_txn(&b, "slow", pid, epoch, true),
        Err(ResponseError::ProducerFenced)
    );
}

#[test]
fn a_prepared_transaction_is_finished_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pid = {
        let b = broker(dir.path(), &[]);
        b.create_topic("t", 1, 1, BTreeMap::new()).unwrap();
        let c = &b.txn;
        let (pid, epoch) = c.init_producer_id(&b, Some("p"), 60_000, None).unwrap();
        c.add_partitions("p", pid, epoch, &[tp("t", 0)]).unwrap();
        let p = b.topic("t").unwrap().partition(0).unwrap();
        p.append_produce(&data(pid, epoch, 0, true), 1 << 20, |_| Ok(()))
            .unwrap();
        // Simulate a crash after PrepareCommit was journaled, before markers.
        let mut inner = c.inner.lock();
        let m = inner
            .txns
            .get("p")
            .unwrap()
            .prepare_end(pid, epoch, true, 0)
            .unwrap()
            .unwrap();
        inner.put(m).unwrap();
        pid
    };
    let b = broker(dir.path(), &[]);
    let m = b.txn.describe("p").unwrap();
    assert_eq!((m.producer_id, m.state), (pid, TxnState::CompleteCommit));
    let p = b.topic("t").unwrap().partition(0).unwrap();
    assert_eq!(
        p.high_watermark(),
        3,
        "the COMMIT marker was written on restart"
    );
    assert_eq!(p.last_stable_offset(), 3);
    assert_eq!(
        p.read_for_fetch(0, 1 << 20, true, true).unwrap().aborted,
        Some(vec![])
    );
}

#[test]
fn dangling_partition_transactions_are_aborted_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let b = broker(dir.path(), &[]);
        b.create_topic("t", 1, 1, BTreeMap::new()).unwrap();
        let p = b.topic("t").unwrap().partition(0).unwrap();
        // A transactional batch from a producer the coordinator never saw.
        p.append_produce(&data(777, 3, 0, true), 1 << 20, |_| Ok(()))
            .unwrap();
        assert_eq!(p.last_stable_offset(), 0);
    }
    let b = broker(dir.path(), &[]);
    let p = b.topic("t").unwrap().partition(0).unwrap();
    assert_eq!(p.last_stable_offset(), 3);
    assert_eq!(
        p.read_for_fetch(0, 1 << 20, true, true)
            .unwrap()
            .aborted
            .unwrap()
            .len(),
        1
    );
}
