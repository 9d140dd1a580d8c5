//! Due pushes on both stores are claimed with a lease: an instance's live claim keeps the others
//! off the pass, an expired one is taken over (and says whose it was), and the late finish of a
//! claim taken over writes nothing.

mod common;

use domain::lease::Lease;
use domain::store::{now_ms, NewWalletPass};

/// The demo with Grace's Apple pass voided: a push is due for it.
async fn voided_pass(store: &domain::store::Store) -> domain::store::SqlWalletPass {
    domain::demo::seed(store).await.unwrap();
    let op = store.operator_by_slug("northwind").await.unwrap().unwrap();
    let grace = store
        .member_by_external_id(op.id, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    let cred = domain::credentials::ensure(store, &op, &grace)
        .await
        .unwrap();
    let pass = store
        .upsert_wallet_pass(&NewWalletPass {
            operator_id: op.id,
            member_id: grace.id,
            credential_id: cred.id,
            platform: "apple",
            new_serial: "serial-grace",
            new_auth_token: "token-of-graces-pass-01",
            site_name: None,
            journey_id: None,
        })
        .await
        .unwrap();
    assert!(store.void_wallet_pass(pass.id).await.unwrap());
    pass
}

#[tokio::test]
async fn a_due_push_is_claimed_once_and_taken_over_only_after_its_lease() {
    for t in common::stores().await {
        let store = &t.store;
        let pass = voided_pass(store).await;
        let (a, b) = (
            Lease::new("instance-a", 60_000),
            Lease::new("instance-b", 60_000),
        );
        let now = now_ms() + 1_000;
        let by_a = store.claim_due_push(now, &a).await.unwrap().expect("due");
        assert_eq!(
            (by_a.pass_id, by_a.taken_over_from.as_deref()),
            (pass.id, None)
        );
        for at in [now, now + 59_000] {
            assert!(
                store.claim_due_push(at, &b).await.unwrap().is_none(),
                "{}: A's claim is live at +{} ms",
                t.name,
                at - now
            );
        }
        let by_b = store
            .claim_due_push(now + 60_001, &b)
            .await
            .unwrap()
            .expect("the expired claim is claimable");
        assert_eq!(
            (by_b.pass_id, by_b.taken_over_from.as_deref()),
            (pass.id, Some("instance-a")),
            "{}",
            t.name
        );
        // A comes back late: nothing it writes counts, so the push is still B's and still due.
        assert!(
            !store.finish_push(&by_a, &a, None).await.unwrap(),
            "{}",
            t.name
        );
        assert!(!store.renew_push_lease(pass.id, now, &a).await.unwrap());
        assert_eq!(store.due_pushes(i64::MAX, 10).await.unwrap().len(), 1);
        assert!(store
            .claim_due_push(now + 60_002, &a)
            .await
            .unwrap()
            .is_none());
        // B records the round: the claim is cleared and nothing is due any more.
        assert!(
            store.finish_push(&by_b, &b, None).await.unwrap(),
            "{}",
            t.name
        );
        assert!(store.due_pushes(i64::MAX, 10).await.unwrap().is_empty());
        assert!(store.claim_due_push(i64::MAX, &a).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_retry_clears_the_claim_and_a_newer_change_is_claimable_at_once() {
    for t in common::stores().await {
        let store = &t.store;
        let pass = voided_pass(store).await;
        let a = Lease::new("instance-a", 60_000);
        let now = now_ms() + 1_000;
        let first = store.claim_due_push(now, &a).await.unwrap().expect("due");
        // The pass changes again while the round runs: the newer change stays due, unclaimed.
        common::sql(
            &t,
            &format!(
                "UPDATE wallet_passes SET push_due_at = push_due_at + 1 WHERE id = {}",
                pass.id
            ),
        )
        .await;
        assert!(store
            .finish_push(&first, &a, Some(now + 600_000))
            .await
            .unwrap());
        let again = store
            .claim_due_push(now, &a)
            .await
            .unwrap()
            .expect("the newer change is due now, not at the retry time");
        assert_eq!(
            (again.due_at, again.attempts),
            (first.due_at + 1, 0),
            "{}",
            t.name
        );
        // A retry: due later, unclaimed until then.
        assert!(store
            .finish_push(&again, &a, Some(now + 600_000))
            .await
            .unwrap());
        assert!(store
            .claim_due_push(now + 599_999, &a)
            .await
            .unwrap()
            .is_none());
        let retried = store
            .claim_due_push(now + 600_000, &a)
            .await
            .unwrap()
            .expect("due");
        assert_eq!(
            (retried.attempts, retried.taken_over_from),
            (1, None),
            "{}",
            t.name
        );
    }
}
