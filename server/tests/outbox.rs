//! The outbox and the link on both stores: several workers of two instances, claiming a few
//! messages at a time, send every message exactly once, an
//! interrupted send is taken over once its instance's lease ran out (never before), a late finish
//! after a take-over writes nothing, and of eight concurrent claims of a link one wins.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::lease::Lease;
use domain::retry::{BoxFuture, RetryPolicy};
use domain::sms::{OutgoingSms, SmsError, SmsReceipt, SmsSender};
use domain::store::{now_ms, QueueLinkSms, SmsAttempt, Store};
use domain::tokens::Token;

/// Counts what it is asked to send, per message.
#[derive(Default)]
struct Counting(Mutex<HashMap<i64, u32>>);

impl SmsSender for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn send<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, Result<SmsReceipt, SmsError>> {
        Box::pin(async move {
            *self.0.lock().unwrap().entry(msg.id).or_default() += 1;
            tokio::task::yield_now().await;
            Ok(SmsReceipt {
                provider_id: format!("count-{}", msg.id),
            })
        })
    }

    /// The provider has what it was sent.
    fn find_sent<'a>(
        &'a self,
        msg: &'a OutgoingSms,
    ) -> BoxFuture<'a, Result<Option<SmsReceipt>, SmsError>> {
        Box::pin(async move {
            Ok(self
                .0
                .lock()
                .unwrap()
                .contains_key(&msg.id)
                .then(|| SmsReceipt {
                    provider_id: format!("count-{}", msg.id),
                }))
        })
    }
}

const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay_ms: 1,
};

/// `n` matched journeys, each with one queued text.
async fn queue(store: &Store, n: usize) -> Vec<i64> {
    let seeded = domain::demo::seed(store).await.unwrap();
    let invite = store
        .invite_by_token_hash(&seeded.invite_token.hash())
        .await
        .unwrap()
        .unwrap();
    let mut journeys = Vec::new();
    for i in 0..n {
        let j = store
            .start_journey(
                Token::generate(16).expose(),
                seeded.operator_id,
                invite.id,
                "invite_opened",
                "",
            )
            .await
            .unwrap();
        store
            .queue_link_sms(&QueueLinkSms {
                journey_id: j.id,
                operator_id: seeded.operator_id,
                member_id: Some(1),
                to_e164: "+447400123001",
                body: &format!("message {i}"),
                token_hash: &Token::generate(32).hash(),
                code_hash: None,
                expires_at: now_ms() + 600_000,
                detail: "",
            })
            .await
            .unwrap();
        journeys.push(j.id);
    }
    journeys
}

/// Four workers of two instances, each claiming several messages at once and sending them side
/// by side, on threads of their own: every message is sent, none twice, and each outcome is
/// recorded under the claim that sent it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_claiming_several_at_once_send_every_message_exactly_once() {
    for t in common::stores().await {
        queue(&t.store, 120).await;
        let sender: Arc<Counting> = Arc::new(Counting::default());
        let mut workers = Vec::new();
        for w in 0..4 {
            let (store, sender) = (t.store.clone(), sender.clone() as Arc<dyn SmsSender>);
            let lease = Lease::new(if w % 2 == 0 { A } else { B }, 60_000);
            workers.push(tokio::spawn(async move {
                // Each works until the outbox holds nothing queued or being sent.
                let mut sent = 0;
                while store.outbox_depth().await.unwrap().0 > 0 {
                    let found = domain::sms::send_due_as(&store, &sender, POLICY, &lease)
                        .await
                        .unwrap();
                    sent += found;
                    if found == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                sent
            }));
        }
        let mut claimed = 0;
        for w in workers {
            claimed += w.await.unwrap();
        }
        let counts = sender.0.lock().unwrap().clone();
        assert_eq!(counts.len(), 120, "{}: every message sent", t.name);
        assert!(
            counts.values().all(|&c| c == 1),
            "{}: none twice: {counts:?}",
            t.name
        );
        assert_eq!(claimed, 120, "{}: every message claimed once", t.name);
        let sent = common::scalar(
            &t,
            "SELECT COUNT(*) FROM sms_outbox WHERE status = 'sent' AND attempts = 1",
        )
        .await;
        assert_eq!(sent, 120, "{}: every outcome recorded once", t.name);
    }
}

const A: &str = "instance-a";
const B: &str = "instance-b";

#[tokio::test]
async fn a_send_interrupted_by_a_crash_is_taken_over_once_its_lease_ran_out_and_not_before() {
    for t in common::stores().await {
        queue(&t.store, 1).await;
        // Instance A claimed the message and died before recording the result.
        let crashed = Lease::new(A, 60_000);
        let claimed = t
            .store
            .claim_due_sms(now_ms(), &crashed)
            .await
            .unwrap()
            .expect("due");
        // Instance B starts: nothing is re-queued, and A's live lease keeps B off the message.
        let restarted = Lease::new(B, 60_000);
        let sender = Counting::default();
        assert!(
            !domain::sms::send_one_as(&t.store, &sender, POLICY, &restarted)
                .await
                .unwrap(),
            "{}: a send under a live lease is not taken over",
            t.name
        );
        assert!(sender.0.lock().unwrap().is_empty(), "{}", t.name);
        // A's lease runs out: B takes the send over, once.
        common::sql(
            &t,
            "UPDATE sms_outbox SET lease_until = 1 WHERE status = 'sending'",
        )
        .await;
        assert!(
            domain::sms::send_one_as(&t.store, &sender, POLICY, &restarted)
                .await
                .unwrap()
        );
        assert_eq!(
            sender.0.lock().unwrap().get(&claimed.id),
            Some(&1),
            "{}",
            t.name
        );
        assert!(
            !domain::sms::send_one_as(&t.store, &sender, POLICY, &restarted)
                .await
                .unwrap(),
            "{}: nothing left",
            t.name
        );
        let row = &t.store.recent_sms(1).await.unwrap()[0];
        assert_eq!(
            (row.status.as_str(), row.taken_over_from.as_deref()),
            ("sent", Some(A)),
            "{}",
            t.name
        );
    }
}

/// An instance that stopped after the provider took its text and before it wrote that down:
/// once its lease ran out, the next instance finds the text at the provider and records it as
/// sent, without sending it a second time.
#[tokio::test]
async fn a_text_the_provider_took_before_a_crash_is_recorded_not_sent_again() {
    for t in common::stores().await {
        let journey = queue(&t.store, 1).await[0];
        let (crashed, next) = (Lease::new(A, 30_000), Lease::new(B, 30_000));
        let sender = Counting::default();
        let claimed = t
            .store
            .claim_due_sms(now_ms(), &crashed)
            .await
            .unwrap()
            .expect("due");
        // The provider accepts A's send; A stops before recording it.
        sender
            .send(&OutgoingSms {
                id: claimed.id,
                to: claimed.to_e164.clone(),
                body: claimed.body.clone(),
                valid_for_secs: 600,
            })
            .await
            .unwrap();
        common::sql(
            &t,
            "UPDATE sms_outbox SET lease_until = 1 WHERE status = 'sending'",
        )
        .await;
        assert!(domain::sms::send_one_as(&t.store, &sender, POLICY, &next)
            .await
            .unwrap());
        assert_eq!(
            sender.0.lock().unwrap().get(&claimed.id),
            Some(&1),
            "{}: sent once",
            t.name
        );
        let row = &t.store.recent_sms(1).await.unwrap()[0];
        assert_eq!(
            (row.status.as_str(), row.taken_over_from.as_deref()),
            ("sent", Some(A)),
            "{}",
            t.name
        );
        let kinds: Vec<String> = t
            .store
            .journey_events(journey)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.contains(&"sms_sent".to_owned()),
            "{}: {kinds:?}",
            t.name
        );
    }
}

fn sent<'a>(provider_id: &'a str, detail: &'a str) -> SmsAttempt<'a> {
    SmsAttempt {
        status: "sent",
        provider_id: Some(provider_id),
        next_attempt_at: now_ms(),
        event: "sms_sent",
        detail,
        ..SmsAttempt::default()
    }
}

#[tokio::test]
async fn a_claim_is_taken_over_only_after_its_lease_and_the_late_finish_writes_nothing() {
    for t in common::stores().await {
        let journey = queue(&t.store, 1).await[0];
        let (a, b) = (Lease::new(A, 30_000), Lease::new(B, 30_000));
        let now = now_ms();
        let by_a = t.store.claim_due_sms(now, &a).await.unwrap().expect("due");
        assert_eq!(by_a.taken_over_from, None, "{}: an ordinary claim", t.name);
        // While A's lease lives, B finds nothing to claim, even a moment before it runs out.
        for at in [now, now + 29_000] {
            assert!(
                t.store.claim_due_sms(at, &b).await.unwrap().is_none(),
                "{}: A's claim is live at +{} ms",
                t.name,
                at - now
            );
        }
        // After it: B takes the message over, and says whose claim it took.
        let by_b = t
            .store
            .claim_due_sms(now + 30_001, &b)
            .await
            .unwrap()
            .expect("the expired claim is claimable");
        assert_eq!(by_b.id, by_a.id);
        assert_eq!(by_b.taken_over_from.as_deref(), Some(A), "{}", t.name);
        assert_eq!(by_b.attempts, 2, "{}: the take-over is an attempt", t.name);
        assert!(
            t.store
                .claim_due_sms(now + 30_002, &a)
                .await
                .unwrap()
                .is_none(),
            "{}: B's claim is live now",
            t.name
        );
        // A's late answer (a retry it would ask for) is refused while B sends…
        let retry = SmsAttempt {
            status: "queued",
            error: Some("timed out"),
            next_attempt_at: now_ms(),
            event: "sms_retry",
            detail: "late",
            ..SmsAttempt::default()
        };
        assert!(
            !t.store.finish_sms(&by_a, &a, &retry).await.unwrap(),
            "{}",
            t.name
        );
        // …B's result is recorded…
        assert!(t
            .store
            .finish_sms(&by_b, &b, &sent("from-b", "sent by B"))
            .await
            .unwrap());
        // …and A's late "sent" after that writes nothing either.
        assert!(!t
            .store
            .finish_sms(&by_a, &a, &sent("from-a", "sent by A"))
            .await
            .unwrap());
        let rows = t.store.journey_sms(journey).await.unwrap();
        assert_eq!(
            (
                rows[0].status.as_str(),
                rows[0].attempts,
                rows[0].last_error.as_deref()
            ),
            ("sent", 2, None),
            "{}: B's result stands",
            t.name
        );
        let events: Vec<String> = t
            .store
            .journey_events(journey)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.starts_with("sms_") && e.kind != "sms_queued")
            .map(|e| format!("{}: {}", e.kind, e.detail))
            .collect();
        assert_eq!(events, ["sms_sent: sent by B"], "{}", t.name);
        assert!(
            t.store
                .claim_due_sms(now + 3_600_000, &a)
                .await
                .unwrap()
                .is_none(),
            "{}: a sent message is never claimed again",
            t.name
        );
    }
}

#[tokio::test]
async fn of_eight_concurrent_claims_of_a_link_exactly_one_wins() {
    for t in common::stores().await {
        let journeys = queue(&t.store, 1).await;
        let token = Token::generate(32);
        t.store
            .queue_link_sms(&QueueLinkSms {
                journey_id: journeys[0],
                operator_id: 1,
                member_id: Some(1),
                to_e164: "+447400123001",
                body: "again",
                token_hash: &token.hash(),
                code_hash: None,
                expires_at: now_ms() + 600_000,
                detail: "",
            })
            .await
            .unwrap();
        let link = t
            .store
            .link_by_token_hash(&token.hash())
            .await
            .unwrap()
            .unwrap();
        let mut claims = Vec::new();
        for i in 0..8 {
            let store = t.store.clone();
            claims.push(tokio::spawn(async move {
                store
                    .claim_link(link.id, &format!("browser-{i}"), now_ms())
                    .await
                    .unwrap()
            }));
        }
        let mut wins = 0;
        for c in claims {
            wins += usize::from(c.await.unwrap());
        }
        assert_eq!(wins, 1, "{}", t.name);
    }
}
