//! The outbox and the link on both stores: several workers send every message exactly once, an
//! interrupted send is sent after a restart, and of eight concurrent claims of a link one wins.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::retry::{BoxFuture, RetryPolicy};
use domain::sms::{OutgoingSms, SmsError, SmsReceipt, SmsSender};
use domain::store::{now_ms, QueueLinkSms, Store};
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

#[tokio::test]
async fn two_workers_send_every_message_exactly_once() {
    for t in common::stores().await {
        queue(&t.store, 40).await;
        let sender = Arc::new(Counting::default());
        let mut workers = Vec::new();
        for _ in 0..2 {
            let (store, sender) = (t.store.clone(), sender.clone());
            workers.push(tokio::spawn(async move {
                let mut idle = 0;
                while idle < 3 {
                    if domain::sms::send_one(&store, sender.as_ref(), POLICY)
                        .await
                        .unwrap()
                    {
                        idle = 0;
                    } else {
                        idle += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        let counts = sender.0.lock().unwrap().clone();
        assert_eq!(counts.len(), 40, "{}: every message sent", t.name);
        assert!(
            counts.values().all(|&c| c == 1),
            "{}: none twice: {counts:?}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_send_interrupted_by_a_crash_is_sent_after_restart() {
    for t in common::stores().await {
        queue(&t.store, 1).await;
        // The process claimed the message and died before recording the result.
        let claimed = t.store.claim_due_sms(now_ms()).await.unwrap().expect("due");
        assert!(
            t.store.claim_due_sms(now_ms()).await.unwrap().is_none(),
            "claimed rows are not claimed twice"
        );
        // Restart: the worker puts unfinished sends back in the queue, then sends them.
        assert_eq!(t.store.requeue_unfinished_sms().await.unwrap(), 1);
        let sender = Counting::default();
        assert!(domain::sms::send_one(&t.store, &sender, POLICY)
            .await
            .unwrap());
        assert_eq!(
            sender.0.lock().unwrap().get(&claimed.id),
            Some(&1),
            "{}",
            t.name
        );
        assert!(
            !domain::sms::send_one(&t.store, &sender, POLICY)
                .await
                .unwrap(),
            "nothing left"
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
