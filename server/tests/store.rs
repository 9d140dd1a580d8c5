//! One behavioural suite for the store, run on SQLite and (when configured) PostgreSQL.

mod common;

use domain::store::{Advance, CredentialSource, NewInvite, NewMember, StoreError};
use domain::tokens::Token;

#[tokio::test]
async fn migrations_are_idempotent_and_the_store_answers() {
    let t = common::sqlite_store().await;
    t.store.ping().await.unwrap();
    // A second connect to the same file migrates again without error.
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/folder/x.db").display()
    );
    let first = domain::store::Store::connect(&url, 2).await.unwrap();
    first.close().await;
    let second = domain::store::Store::connect(&url, 2).await.unwrap();
    second.ping().await.unwrap();
    assert!(dir.path().join("nested/folder/x.db").exists());
}

#[tokio::test]
async fn demo_seed_covers_every_branch_once() {
    for t in common::stores().await {
        let s = &t.store;
        let seeded = domain::demo::seed_if_empty(s)
            .await
            .unwrap()
            .expect("empty store gets the demo");
        assert!(
            domain::demo::seed_if_empty(s).await.unwrap().is_none(),
            "{}: seeds only once",
            t.name
        );
        assert_eq!(s.operator_count().await.unwrap(), 1);
        let op = s.operator(seeded.operator_id).await.unwrap().unwrap();
        assert_eq!(op.default_region, "GB");

        let ada = s.members_by_mobile(op.id, "+447400123001").await.unwrap();
        assert_eq!(ada.len(), 1, "{}", t.name);
        assert_eq!(ada[0].first_name, "Ada");
        assert!(ada[0].active && ada[0].synced_at.is_some());

        let grace = &s.members_by_mobile(op.id, "+447400123002").await.unwrap()[0];
        let cards = s.credentials_for_member(grace.id).await.unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(
            (
                cards[0].source.as_str(),
                cards[0].facility_code,
                cards[0].card_number
            ),
            ("physical_card", 42, 1002)
        );

        let unsynced = &s.members_by_mobile(op.id, "+447400123007").await.unwrap()[0];
        assert!(unsynced.synced_at.is_none());
        let inactive = &s.members_by_mobile(op.id, "+447400123008").await.unwrap()[0];
        assert!(!inactive.active);

        let invite = s
            .invite_by_token_hash(&seeded.invite_token.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(invite.channel, "print");
        assert!(invite.site_id.is_some() && invite.member_id.is_none());
        assert!(s
            .invite_by_token_hash(&Token::generate(16).hash())
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn members_upsert_by_external_id_and_cards_are_unique_per_operator() {
    for t in common::stores().await {
        let s = &t.store;
        let seeded = domain::demo::seed(s).await.unwrap();
        let op = seeded.operator_id;
        let mut m = NewMember {
            operator_id: op,
            external_id: "crm-77",
            first_name: "Joan",
            last_name: "Clarke",
            email: None,
            mobile_e164: Some("+447400123077"),
            source: "test",
            synced_at: Some(1),
            active: true,
        };
        let id = s.upsert_member(&m).await.unwrap();
        m.mobile_e164 = Some("+447400123078");
        assert_eq!(
            s.upsert_member(&m).await.unwrap(),
            id,
            "{}: same external id, same member",
            t.name
        );
        assert!(s
            .members_by_mobile(op, "+447400123077")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.members_by_mobile(op, "+447400123078").await.unwrap()[0].id,
            id
        );

        // Grace's physical card is 42/1002: the same card on another member is refused.
        let err = s
            .insert_credential(op, id, CredentialSource::Digital, 42, 1002)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: {err}", t.name);
        s.insert_credential(op, id, CredentialSource::Digital, 42, 1003)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn journeys_keep_an_append_only_event_log() {
    for t in common::stores().await {
        let s = &t.store;
        let seeded = domain::demo::seed(s).await.unwrap();
        let invite = s
            .invite_by_token_hash(&seeded.invite_token.hash())
            .await
            .unwrap()
            .unwrap();
        let j = s
            .start_journey(
                "journey-public-id-0001",
                seeded.operator_id,
                invite.id,
                "invite_opened",
                "print",
            )
            .await
            .unwrap();
        assert_eq!(j.step, "invite_opened");
        s.advance_journey(
            j.id,
            &Advance {
                step: "number_entered",
                entered_mobile: Some("+447400123001"),
                event: "number_submitted",
                detail: "•••• ••• 001",
                ..Advance::default()
            },
        )
        .await
        .unwrap();
        s.advance_journey(
            j.id,
            &Advance {
                step: "matched",
                member_id: Some(1),
                event: "member_matched",
                ..Advance::default()
            },
        )
        .await
        .unwrap();

        let j = s
            .journey_by_public_id("journey-public-id-0001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (j.step.as_str(), j.member_id, j.entered_mobile.as_deref()),
            ("matched", Some(1), Some("+447400123001"))
        );
        let events = s.journey_events(j.id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["invite_opened", "number_submitted", "member_matched"],
            "{}",
            t.name
        );
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));

        assert!(
            s.try_rewrite_event(events[0].id).await.is_err(),
            "{}: history cannot be rewritten",
            t.name
        );
    }
}

#[tokio::test]
async fn invites_for_one_member_are_stored_with_their_member() {
    for t in common::stores().await {
        let s = &t.store;
        let seeded = domain::demo::seed(s).await.unwrap();
        let ada = s
            .members_by_mobile(seeded.operator_id, "+447400123001")
            .await
            .unwrap()
            .remove(0);
        let token = Token::generate(16);
        s.insert_invite(&NewInvite {
            operator_id: seeded.operator_id,
            site_id: None,
            member_id: Some(ada.id),
            token_hash: &token.hash(),
            channel: "email",
            expires_at: 5,
        })
        .await
        .unwrap();
        let inv = s
            .invite_by_token_hash(&token.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (inv.member_id, inv.channel.as_str(), inv.expires_at),
            (Some(ada.id), "email", 5)
        );
    }
}

#[tokio::test]
async fn limits_count_per_key_and_window() {
    for t in common::stores().await {
        let s = &t.store;
        assert_eq!(
            s.hit("scope", "a", 2, 60_000).await.unwrap(),
            None,
            "{}",
            t.name
        );
        assert_eq!(s.hit("scope", "a", 2, 60_000).await.unwrap(), None);
        let wait = s
            .hit("scope", "a", 2, 60_000)
            .await
            .unwrap()
            .expect("the third is refused");
        assert!((1_000..=60_000).contains(&wait), "{}: {wait}", t.name);
        assert!(s
            .would_limit("scope", "a", 2, 60_000)
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            s.would_limit("scope", "b", 2, 60_000).await.unwrap(),
            None,
            "keys are separate"
        );
        assert_eq!(
            s.hit("other", "a", 2, 60_000).await.unwrap(),
            None,
            "scopes are separate"
        );
    }
}

#[tokio::test]
async fn a_window_that_ended_starts_over_and_is_cleared_away() {
    for t in common::stores().await {
        let s = &t.store;
        for _ in 0..2 {
            assert_eq!(s.hit("w", "k", 2, 60_000).await.unwrap(), None);
        }
        assert!(s.hit("w", "k", 2, 60_000).await.unwrap().is_some());
        assert_eq!(s.forget_ended_windows().await.unwrap(), 0, "{}", t.name);
        // The minute passes.
        common::sql(
            &t,
            "UPDATE rate_counters SET window_start = window_start - 61000",
        )
        .await;
        assert_eq!(s.recent_hits("w", "k", 60_000).await.unwrap().0, 0);
        assert_eq!(s.forget_ended_windows().await.unwrap(), 1, "{}", t.name);
        assert_eq!(
            s.hit("w", "k", 2, 60_000).await.unwrap(),
            None,
            "{}",
            t.name
        );
        assert_eq!(s.recent_hits("w", "k", 60_000).await.unwrap().0, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_never_overshoot_a_limit() {
    for t in common::stores().await {
        // Forty requests at once against a limit of five, from two "instances" (pools).
        let other = domain::store::Store::connect(&t.url, 8).await.unwrap();
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(40));
        let hits = (0..40)
            .map(|i| {
                let start = start.clone();
                let s = if i % 2 == 0 {
                    t.store.clone()
                } else {
                    other.clone()
                };
                tokio::spawn(async move {
                    start.wait().await;
                    s.hit("race", "k", 5, 60_000).await.unwrap().is_none()
                })
            })
            .collect::<Vec<_>>();
        let mut counted = 0;
        for h in hits {
            counted += usize::from(h.await.unwrap());
        }
        assert_eq!(counted, 5, "{}: exactly the limit is counted", t.name);
        other.close().await;
    }
}
