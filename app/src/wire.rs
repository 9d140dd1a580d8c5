//! How the domain's answers become wire types (server side): the pages' data is assembled here
//! from what `domain` decided, so the browser's types never reach into the domain.

use domain::invites::InviteProblem as DomainInviteProblem;
use domain::journeys::{Answer, InviteOpened, Sent};
use domain::links::{LinkProblem as DomainLinkProblem, Opened};
use domain::state::AppState;
use domain::store::{SqlOperator, StoreError};

use crate::types::{
    AppError, Branding, InvitePage, InviteProblem, InviteView, LinkProblem, SentPage,
    SubmitOutcome, SupportContact, WalletPage, WalletView,
};

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        AppError::Unavailable
    }
}

impl From<&SqlOperator> for Branding {
    fn from(op: &SqlOperator) -> Self {
        Branding {
            name: op.name.clone(),
            brand_color: op.brand_color.clone(),
            accent_color: op.accent_color.clone(),
            support: SupportContact {
                email: op.support_email.clone(),
                phone: op.support_phone.clone(),
                url: op.support_url.clone(),
            },
        }
    }
}

impl From<DomainInviteProblem> for InviteProblem {
    fn from(p: DomainInviteProblem) -> Self {
        match p {
            DomainInviteProblem::Unknown => InviteProblem::Unknown,
            DomainInviteProblem::Expired => InviteProblem::Expired,
        }
    }
}

impl From<DomainLinkProblem> for LinkProblem {
    fn from(p: DomainLinkProblem) -> Self {
        match p {
            DomainLinkProblem::Unknown => LinkProblem::Unknown,
            DomainLinkProblem::Expired => LinkProblem::Expired,
            DomainLinkProblem::Replaced => LinkProblem::Replaced,
            DomainLinkProblem::Used => LinkProblem::Used,
            DomainLinkProblem::NotEligible => LinkProblem::NotEligible,
        }
    }
}

impl From<Answer> for SubmitOutcome {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Matched { next } => SubmitOutcome::Matched { next },
            Answer::Invalid {
                message,
                number,
                region,
            } => SubmitOutcome::Invalid {
                message,
                number,
                region,
            },
            Answer::NotFound { number, region } => SubmitOutcome::NotFound { number, region },
            Answer::InviteGone { problem } => SubmitOutcome::InviteGone {
                problem: problem.into(),
            },
            Answer::RateLimited {
                message,
                number,
                region,
            } => SubmitOutcome::RateLimited {
                message,
                number,
                region,
            },
        }
    }
}

/// The phone page's data.
pub fn invite_page(opened: Result<InviteOpened, DomainInviteProblem>) -> InvitePage {
    match opened {
        Ok(o) => InvitePage::Ready(Box::new(InviteView {
            branding: (&o.invite.operator).into(),
            default_region: o.invite.operator.default_region.clone(),
            site_name: o.invite.site.map(|s| s.name),
            token: o.invite.token,
            journey: o.journey,
            previous: o.previous.map(Into::into),
        })),
        Err(problem) => InvitePage::Problem(problem.into()),
    }
}

/// The "check your messages" page's data.
pub fn sent_page(sent: Result<Sent, DomainInviteProblem>, notice: Option<String>) -> SentPage {
    match sent {
        Ok(s) => SentPage::Ready {
            branding: (&s.invite.operator).into(),
            masked_number: s.masked_number,
            invite_url: format!("/i/{}", s.invite.token),
            strict: s.invite.operator.strict_enumeration,
            token: s.invite.token,
            journey: s.journey.public_id,
            notice,
            link_minutes: s.link_minutes,
        },
        Err(problem) => SentPage::Problem(problem.into()),
    }
}

/// The wallet page's data.
pub fn wallet_page(state: &AppState, token: &str, opened: Opened, user_agent: &str) -> WalletPage {
    match opened {
        Opened::Ready(r) => WalletPage::Ready(Box::new(WalletView {
            token: token.to_owned(),
            branding: (&r.found.operator).into(),
            first_name: r.found.member.first_name.clone(),
            site_name: r.site_name,
            credential: r.credential,
            apple_first: r.apple_first,
            ios_chrome: domain::links::is_apple_device(user_agent) && user_agent.contains("CriOS"),
            other_phone: r.other_phone,
            apple_badge: badge(state, "add-to-apple-wallet"),
            google_badge: badge(state, "add-to-google-wallet"),
        })),
        Opened::Problem {
            problem,
            can_restart,
            operator,
        } => WalletPage::Problem {
            problem: problem.into(),
            can_restart,
            branding: operator.as_deref().map(Into::into),
        },
    }
}

/// `/badges/{name}.svg` (or `.png`) when that file is in the site root.
fn badge(state: &AppState, name: &str) -> Option<String> {
    ["svg", "png"].iter().find_map(|ext| {
        let rel = format!("badges/{name}.{ext}");
        state
            .config
            .http
            .site_root
            .join(&rel)
            .is_file()
            .then(|| format!("/{rel}"))
    })
}
